"""The in-memory model of a pack, independent of the YAML it was read from.

A pack holds named cut-offs (each with its source) and decision tables. A table has ordered
rules and a hit policy: ``unique`` (exactly one rule matches every plausible input: gaps and
overlaps are load errors), ``first`` (the first matching rule wins; gaps are load errors) or
``collect`` (every matching rule contributes; used for next tests, advice and alerts).
A rule's ``when`` is a conjunction of comparisons on facts. Comparisons are plain data so the
one-person evaluator and the dataframe compiler read exactly the same rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from cobalamin.knowledge.sources import Reference

__all__ = [
    "Comparison",
    "Cutoff",
    "NextTest",
    "Op",
    "Pack",
    "Rule",
    "Table",
    "Text",
]

Op = Literal["lt", "le", "gt", "ge", "eq", "in", "missing", "present", "any_of", "none_of", "is"]
NUMERIC_OPS: frozenset[str] = frozenset({"lt", "le", "gt", "ge"})
DEFICIENCY_VALUES = ("likely", "indeterminate", "unlikely", "unknown")


@dataclass(frozen=True)
class Text:
    en: str
    nl: str

    def get(self, lang: str) -> str:
        return self.nl if lang == "nl" else self.en


@dataclass(frozen=True)
class Cutoff:
    name: str
    fact: str
    value: float  # as written in the source, in ``unit``
    unit: str
    canonical: float  # in the fact's canonical unit: what rules compare against
    sources: tuple[str, ...]  # bibliography ids (or a site's local source ids)
    statement: str | None = None

    @property
    def source(self) -> str:
        return self.sources[0]

    def display(self, lang: str = "en") -> str:
        """The cut-off as a reader expects it: the source's precision (0.40, not 0.4), the
        micro sign, and a decimal comma in Dutch."""
        return f"{format_number(self.value, lang)} {display_unit(self.unit)}"


@dataclass(frozen=True)
class Comparison:
    """``fact op operand``. Numeric operands are canonical floats; others are strings/bools."""

    fact: str
    op: Op
    number: float | None = None
    cutoff: str | None = None  # the cut-off name behind ``number`` (for explanations)
    values: tuple[str, ...] = ()
    flag: bool | None = None


@dataclass(frozen=True)
class NextTest:
    test: str
    reflex: bool
    reason: Text


@dataclass(frozen=True)
class Rule:
    id: str
    when: tuple[Comparison, ...]
    cutoffs: tuple[str, ...] = ()  # the cut-offs its conditions and texts use (provenance)
    sets: tuple[tuple[str, str | bool], ...] = ()
    next_tests: tuple[NextTest, ...] = ()
    alerts: tuple[str, ...] = ()
    finding: Text | None = None
    sources: tuple[str, ...] = ()  # bibliography ids (or a site's local source ids)
    statement: str | None = None

    @property
    def source(self) -> str | None:
        return self.sources[0] if self.sources else None


@dataclass(frozen=True)
class Table:
    id: str
    hit_policy: Literal["unique", "first", "collect"]
    outputs: tuple[str, ...]
    rules: tuple[Rule, ...]
    description: str | None = None


@dataclass(frozen=True)
class Pack:
    id: str
    title: str
    publisher: str
    date: str
    language: str
    description: Text
    sources: dict[str, Reference]
    cutoffs: dict[str, Cutoff]
    tables: tuple[Table, ...]
    status: str = "current"
    extends: str | None = None
    path: str | None = None
    reads: tuple[str, ...] = field(default=())  # facts the tables read (derived at load)
    sha256: str = ""  # content hash of the pack after extends and overrides
    titles: Text | None = None  # the title in English and Dutch (``title`` is the English)

    def title_in(self, lang: str) -> str:
        return self.title if self.titles is None else self.titles.get(lang)

    def citation_ids(self, rule: Rule) -> tuple[str, ...]:
        """What a rule rests on: its own sources, then the source of every cut-off number it
        uses (a site's overridden cut-off brings the site's own source)."""
        ids = list(rule.sources)
        for name in rule.cutoffs:
            if name in self.cutoffs:
                ids.extend(self.cutoffs[name].sources)
        return tuple(dict.fromkeys(ids))

    def cite(self, ids: tuple[str, ...]) -> str:
        """Readable citations (with their addresses) of ids this pack lists."""
        return "; ".join(self.sources[i].citation() for i in ids)

    def rule(self, rule_id: str) -> Rule:
        for table in self.tables:
            for rule in table.rules:
                if rule.id == rule_id:
                    return rule
        raise KeyError(rule_id)


_MICRO = re.compile(r"(?<![A-Za-z])u(?=(mol|g|L)\b)")


def display_unit(unit: str) -> str:
    """A UCUM unit as printed for readers: ``umol/L`` -> ``µmol/L``."""
    return _MICRO.sub("µ", unit)


def format_number(value: float, lang: str = "en") -> str:
    """A number as a laboratory prints it: at least two decimals below 1 (0.40), no trailing
    zeros otherwise (73.8, 150), and a decimal comma in Dutch."""
    text = f"{value:.2f}" if 0 < abs(value) < 1 and round(value, 2) == value else f"{value:g}"
    return text.replace(".", ",") if lang == "nl" else text
