"""The decision-table evaluator for one case. Pure: no I/O, no globals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cobalamin.case import Case
from cobalamin.knowledge.logic import FactValue, rule_matches
from cobalamin.knowledge.model import Pack, Rule

__all__ = ["Evaluation", "case_facts", "evaluate"]


@dataclass(frozen=True)
class Evaluation:
    """Which rules fired, table by table, and every fact after the last table."""

    pack: Pack
    fired: tuple[tuple[str, Rule], ...]  # (table id, rule) in evaluation order
    facts: dict[str, Any]


def case_facts(case: Case) -> dict[str, FactValue]:
    """The facts a pack's rules can read, from a normalised case."""
    person = case.person
    facts: dict[str, FactValue] = {test: result.value for test, result in case.results.items()}
    facts.update(
        age=person.age,
        sex=person.sex,
        diet=person.diet,
        trimester=None if person.trimester is None else str(person.trimester),
        pregnant=person.pregnant,
        lactating=person.lactating,
        wish_to_conceive=person.wish_to_conceive,
        conditions=frozenset(person.conditions),
        medications=person.medication_ids,
        symptoms=frozenset(person.symptoms),
        days_since_b12_injection=_days_since_injection(case),
    )
    return facts


def _days_since_injection(case: Case) -> float | None:
    """Days from ``person.last_b12_injection`` to the sample date ``case.date``, if both known."""
    injected = case.person.last_b12_injection
    if injected is None or case.date is None or injected > case.date:
        return None
    return float((case.date - injected).days)


def evaluate(pack: Pack, facts: dict[str, FactValue]) -> Evaluation:
    """Run the pack's tables in order. Pack loading guarantees first/unique tables always hit."""
    state: dict[str, Any] = dict(facts)
    fired: list[tuple[str, Rule]] = []
    for table in pack.tables:
        matched = [rule for rule in table.rules if rule_matches(rule, state)]
        if table.hit_policy != "collect":
            matched = matched[:1]
            for name, value in matched[0].sets:
                state[name] = value
        fired.extend((table.id, rule) for rule in matched)
    return Evaluation(pack, tuple(fired), state)
