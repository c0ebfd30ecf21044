"""The facts a rule may read: lab results (canonical units) and the person's context.

A fact has a kind that fixes which comparisons are allowed and what its domain is when a pack
is checked for gaps. Tables may also set new (categorical) facts that later tables read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cobalamin.analytes import AnalyteCatalogue
from cobalamin.vocabulary import Vocabulary

__all__ = ["FactKind", "FactSpec", "base_facts"]

FactKind = Literal["number", "category", "boolean", "set"]


@dataclass(frozen=True)
class FactSpec:
    name: str
    kind: FactKind
    unit: str | None = None  # numbers: the canonical unit comparisons are made in
    low: float | None = None  # numbers: plausible range (for gap checks)
    high: float | None = None
    values: tuple[str, ...] = ()  # categories: allowed values; sets: the vocabulary
    vocabulary: str | None = None  # sets: which vocabulary list (for group: expansion)
    optional: bool = True  # may be missing (None)


def base_facts(analytes: AnalyteCatalogue, vocabulary: Vocabulary) -> dict[str, FactSpec]:
    """Every fact that exists before any table runs."""
    facts: dict[str, FactSpec] = {}
    for test_id, item in analytes.items():
        if item.kind == "quantitative":
            assert item.hard_range is not None
            facts[test_id] = FactSpec(
                test_id, "number", item.canonical_unit, item.hard_range.low, item.hard_range.high
            )
        else:
            facts[test_id] = FactSpec(test_id, "category", values=item.values)
    facts["age"] = FactSpec("age", "number", "a", 0, 125)
    facts["sex"] = FactSpec("sex", "category", values=tuple(vocabulary.terms("sex")))
    facts["diet"] = FactSpec("diet", "category", values=tuple(vocabulary.terms("diet")))
    facts["trimester"] = FactSpec("trimester", "category", values=("1", "2", "3"))
    # Days from the last B12 injection to the sample date (case.date); missing unless both
    # dates are known and the injection is not after the sample.
    facts["days_since_b12_injection"] = FactSpec(
        "days_since_b12_injection", "number", "d", 0, 36500
    )
    for flag in ("pregnant", "lactating", "wish_to_conceive"):
        facts[flag] = FactSpec(flag, "boolean", optional=False)
    for name in ("conditions", "medications", "symptoms"):
        facts[name] = FactSpec(
            name, "set", values=tuple(vocabulary.terms(name)), vocabulary=name, optional=False
        )
    return facts
