"""The Assessment: what ``assess`` returns, and its JSON form (the contract; README, "Input and output").

Every finding, next test and alert carries the bibliography ids it rests on (``source_id``, the
first, and ``source_ids``, all of them) and a readable citation with each source's address
(``source``). A finding whose rule compared a result with a cut-off also states that result as
it was given, and in the cut-off's unit where that differs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cobalamin.cb12 import CB12Result
from cobalamin.knowledge.model import Text

__all__ = ["Alert", "Assessment", "Finding", "NextTestAdvice", "ShownValue", "citation_fields"]


def citation_fields(source: str, source_ids: tuple[str, ...]) -> dict[str, Any]:
    """The citation keys of every output item: ids for machines, a citation for readers."""
    return {
        "source_id": source_ids[0] if source_ids else None,
        "source_ids": list(source_ids),
        "source": source,
    }


@dataclass(frozen=True)
class ShownValue:
    """A result as the person's report gave it, and in the unit of the cut-off it met."""

    test: str
    value: float | str  # a word for qualitative tests (positive, negative)
    unit: str | None
    pack_value: float | None = None  # None when the cut-off is in the same unit
    pack_unit: str | None = None
    comparator: str | None = None  # a censored result (<50): the value is its limit

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "value": self.value,
            "unit": self.unit,
            "pack_value": self.pack_value,
            "pack_unit": self.pack_unit,
            "comparator": self.comparator,
        }


@dataclass(frozen=True)
class Finding:
    rule: str
    table: str
    text: Text
    source: str
    statement: str | None = None
    source_ids: tuple[str, ...] = ()
    values: tuple[ShownValue, ...] = ()
    measured: Text | None = None  # the values as words, e.g. "total B12 150 pmol/L (= 203 ng/L)"

    def full_text(self, lang: str = "en") -> str:
        """The finding as a reader sees it: the person's value first, then the rule's text."""
        if self.measured is None:
            return self.text.get(lang)
        return f"{self.measured.get(lang)} — {self.text.get(lang)}"

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "rule": self.rule,
            "text": self.full_text(lang),
            "rule_text": self.text.get(lang),
            "value": None if self.measured is None else self.measured.get(lang),
            "values": [v.to_dict() for v in self.values],
            **citation_fields(self.source, self.source_ids),
        }


@dataclass(frozen=True)
class NextTestAdvice:
    test: str
    reflex: bool
    reason: Text
    rule: str
    source: str
    source_ids: tuple[str, ...] = ()

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "test": self.test,
            "reflex": self.reflex,
            "reason": self.reason.get(lang),
            "rule": self.rule,
            **citation_fields(self.source, self.source_ids),
        }


@dataclass(frozen=True)
class Alert:
    code: str
    level: str
    text: Text
    source: str
    rule: str | None = None
    source_ids: tuple[str, ...] = ()

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "code": self.code,
            "level": self.level,
            "text": self.text.get(lang),
            "rule": self.rule,
            **citation_fields(self.source, self.source_ids),
        }


@dataclass(frozen=True)
class Assessment:
    pack: str
    pack_title: str
    pack_sha256: str
    deficiency: str
    severe: bool
    next_tests: tuple[NextTestAdvice, ...]
    findings: tuple[Finding, ...]
    alerts: tuple[Alert, ...]
    cb12: CB12Result | None
    disclaimer: Text
    warnings: tuple[Text, ...] = ()
    facts: dict[str, str] = field(default_factory=dict)
    titles: Text | None = None  # the pack's title in English and Dutch
    censored: tuple[str, ...] = ()  # tests whose result was censored (<50): see pipeline

    @property
    def reflex_tests(self) -> tuple[str, ...]:
        return tuple(t.test for t in self.next_tests if t.reflex)

    def title(self, lang: str = "en") -> str:
        return self.pack_title if self.titles is None else self.titles.get(lang)

    def comment(self, lang: str = "en") -> str:
        """The interpretive comment of a laboratory report: every finding's rule text, in order,
        as one paragraph (the report's own result lines carry the values)."""
        return " ".join(f.text.get(lang) for f in self.findings)

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "pack": self.pack,
            "pack_title": self.title(lang),
            "pack_sha256": self.pack_sha256,
            "deficiency": self.deficiency,
            "severe": self.severe,
            "next_tests": [t.to_dict(lang) for t in self.next_tests],
            "findings": [f.to_dict(lang) for f in self.findings],
            "alerts": [a.to_dict(lang) for a in self.alerts],
            "cb12": None if self.cb12 is None else self.cb12.to_dict(lang),
            "warnings": [w.get(lang) for w in self.warnings],
            "comment": self.comment(lang),
            "disclaimer": self.disclaimer.get(lang),
        } | ({"censored": list(self.censored)} if self.censored else {})
