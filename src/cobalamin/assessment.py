"""The Assessment: what ``assess`` returns, and its JSON form (DESIGN.md "The contract")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cobalamin.cb12 import CB12Result
from cobalamin.knowledge.model import Text

__all__ = ["Alert", "Assessment", "Finding", "NextTestAdvice"]


@dataclass(frozen=True)
class Finding:
    rule: str
    table: str
    text: Text
    source: str
    statement: str | None = None

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {"rule": self.rule, "text": self.text.get(lang), "source": self.source}


@dataclass(frozen=True)
class NextTestAdvice:
    test: str
    reflex: bool
    reason: Text
    rule: str
    source: str


@dataclass(frozen=True)
class Alert:
    code: str
    level: str
    text: Text
    source: str
    rule: str | None = None

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "code": self.code,
            "level": self.level,
            "text": self.text.get(lang),
            "source": self.source,
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
    warnings: tuple[str, ...] = ()
    facts: dict[str, str] = field(default_factory=dict)

    @property
    def reflex_tests(self) -> tuple[str, ...]:
        return tuple(t.test for t in self.next_tests if t.reflex)

    def comment(self, lang: str = "en") -> str:
        """The interpretive comment: every finding's text, in order, as one paragraph."""
        return " ".join(f.text.get(lang) for f in self.findings)

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "pack": self.pack,
            "pack_sha256": self.pack_sha256,
            "deficiency": self.deficiency,
            "severe": self.severe,
            "next_tests": [
                {
                    "test": t.test,
                    "reflex": t.reflex,
                    "reason": t.reason.get(lang),
                    "rule": t.rule,
                    "source": t.source,
                }
                for t in self.next_tests
            ],
            "findings": [f.to_dict(lang) for f in self.findings],
            "alerts": [a.to_dict(lang) for a in self.alerts],
            "cb12": None if self.cb12 is None else self.cb12.to_dict(lang),
            "warnings": list(self.warnings),
            "comment": self.comment(lang),
            "disclaimer": self.disclaimer.get(lang),
        }
