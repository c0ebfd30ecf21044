"""Gap and overlap checks for a decision table, run once when a pack loads.

For every fact a table reads, the plausible domain is cut into classes on which every rule
gives the same answer: for numbers, each cut-off point and the open intervals between them
(within the catalogue's hard range) plus "missing"; for categories, each value plus missing;
for lists, every combination of the id groups the rules mention. One representative per class
is enough, so checking the product of representatives is exact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations, islice, pairwise, product

from cobalamin.knowledge.facts import FactSpec
from cobalamin.knowledge.logic import FactValue, rule_matches
from cobalamin.knowledge.model import Comparison, Table

__all__ = ["check_coverage", "interval_representatives", "representatives"]

_MAX_COMBINATIONS = 500_000


def _numbers(spec: FactSpec, comparisons: Sequence[Comparison]) -> list[FactValue]:
    assert spec.low is not None and spec.high is not None
    return list(interval_representatives(spec.low, spec.high, comparisons))


def interval_representatives(
    low: float,
    high: float,
    comparisons: Sequence[Comparison],
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> list[float]:
    """One number per class of the interval from ``low`` to ``high`` that the comparisons
    cannot tell apart: every cut-off point inside it and the open stretches between them.

    The ends are included unless ``low_open``/``high_open`` (a censored ``<50`` is the
    interval from the lowest possible value up to, but not including, 50).
    """
    cuts = {c.number for c in comparisons if c.number is not None}
    points = sorted({low, high} | {p for p in cuts if low <= p <= high})
    values = [p for p in points if not (low_open and p == low) and not (high_open and p == high)]
    # the open stretch between two points (none when they are neighbouring floats)
    values += [m for a, b in pairwise(points) if a < (m := (a + b) / 2) < b]
    return values


def _sets(spec: FactSpec, comparisons: Sequence[Comparison]) -> list[FactValue]:
    groups = {frozenset(c.values) for c in comparisons if c.values}
    # Atoms: vocabulary ids with the same membership across the groups the rules mention.
    atoms: dict[tuple[bool, ...], str] = {}
    ordered = sorted(groups, key=sorted)
    for item in spec.values:
        atoms.setdefault(tuple(item in g for g in ordered), item)
    picks = list(atoms.values())
    subsets: list[FactValue] = []
    for size in range(len(picks) + 1):
        subsets.extend(frozenset(combo) for combo in combinations(picks, size))
    return subsets


def representatives(spec: FactSpec, comparisons: Sequence[Comparison]) -> list[FactValue]:
    """One value per class of inputs that the comparisons cannot tell apart."""
    if spec.kind == "number":
        values = _numbers(spec, comparisons)
    elif spec.kind == "boolean":
        values = [True, False]
    elif spec.kind == "category":
        values = list(spec.values)
    else:
        values = _sets(spec, comparisons)
    if spec.optional:
        values.append(None)
    return values


def _describe(names: Sequence[str], combo: Sequence[FactValue]) -> str:
    def show(value: FactValue) -> str:
        if value is None:
            return "missing"
        if isinstance(value, frozenset):
            return "[" + ", ".join(sorted(value)) + "]"
        return f"{value:g}" if isinstance(value, float) else str(value)

    return ", ".join(f"{n}={show(v)}" for n, v in zip(names, combo, strict=True))


def check_coverage(table: Table, facts: Mapping[str, FactSpec]) -> str | None:
    """A message naming the first gap or forbidden overlap, or None when the table is sound."""
    by_fact: dict[str, list[Comparison]] = {}
    for rule in table.rules:
        for comparison in rule.when:
            by_fact.setdefault(comparison.fact, []).append(comparison)
    names = list(by_fact)
    domains = [representatives(facts[n], by_fact[n]) for n in names]
    size = 1
    for domain in domains:
        size *= len(domain)
    if size > _MAX_COMBINATIONS:
        return f"reads too many inputs to check ({size} combinations); split the table"
    enough = 2 if table.hit_policy == "unique" else 1  # a first table needs one match only
    for combo in product(*domains):
        env = dict(zip(names, combo, strict=True))
        matched = list(islice((r.id for r in table.rules if rule_matches(r, env)), enough))
        if not matched:
            return f"gap: no rule covers {_describe(names, combo)}"
        if len(matched) > 1:
            return (
                f"overlap: rules {matched[0]} and {matched[1]} both match {_describe(names, combo)}"
            )
    return None
