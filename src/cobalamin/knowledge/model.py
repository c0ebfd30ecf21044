"""The in-memory model of a pack, independent of the YAML it was read from.

A pack holds named cut-offs (each with its source) and decision tables. A table has ordered
rules and a hit policy: ``unique`` (exactly one rule matches every plausible input: gaps and
overlaps are load errors), ``first`` (the first matching rule wins; gaps are load errors) or
``collect`` (every matching rule contributes; used for next tests, advice and alerts).
A rule's ``when`` is a conjunction of comparisons on facts. Comparisons are plain data so the
one-person evaluator and the dataframe compiler read exactly the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "Comparison",
    "Cutoff",
    "NextTest",
    "Op",
    "Pack",
    "Rule",
    "Source",
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
class Source:
    key: str
    citation: str
    evidence: str  # primary | secondary | seed | convention
    url: str | None = None


@dataclass(frozen=True)
class Cutoff:
    name: str
    fact: str
    value: float  # as written in the source, in ``unit``
    unit: str
    canonical: float  # in the fact's canonical unit: what rules compare against
    source: str
    statement: str | None = None

    def display(self) -> str:
        return f"{self.value:g} {self.unit}"


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
    source: str | None = None
    statement: str | None = None


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
    sources: dict[str, Source]
    cutoffs: dict[str, Cutoff]
    tables: tuple[Table, ...]
    status: str = "current"
    extends: str | None = None
    path: str | None = None
    reads: tuple[str, ...] = field(default=())  # facts the tables read (derived at load)
    sha256: str = ""  # content hash of the pack after extends and overrides

    def rule(self, rule_id: str) -> Rule:
        for table in self.tables:
            for rule in table.rules:
                if rule.id == rule_id:
                    return rule
        raise KeyError(rule_id)
