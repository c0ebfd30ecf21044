"""What a comparison means for one value. Shared by the evaluator and the coverage check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cobalamin.knowledge.model import Comparison, Rule

__all__ = ["FactValue", "holds", "rule_matches"]

FactValue = float | str | bool | frozenset[str] | None


def holds(comparison: Comparison, value: FactValue) -> bool:
    """Whether ``value`` satisfies the comparison. A missing value satisfies only ``missing``."""
    op = comparison.op
    if op == "missing":
        return value is None
    if op == "present":
        return value is not None
    if value is None:
        return False
    if op == "is":
        return value is comparison.flag
    if op == "in":
        return str(value) in comparison.values
    if op in ("any_of", "none_of"):
        assert isinstance(value, frozenset)
        hit = not value.isdisjoint(comparison.values)
        return hit if op == "any_of" else not hit
    assert isinstance(value, float | int) and comparison.number is not None
    number = comparison.number
    if op == "lt":
        return value < number
    if op == "le":
        return value <= number
    if op == "gt":
        return value > number
    return value >= number  # ge


def rule_matches(rule: Rule, facts: Mapping[str, Any]) -> bool:
    """Whether every comparison of the rule holds for these facts."""
    return all(holds(c, facts.get(c.fact)) for c in rule.when)
