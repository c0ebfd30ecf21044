"""Safety alerts for a person without a pack's conclusion (``screen``), from ``data/safety.yaml``.

``assess`` runs the same safety tables as the last stage of its pipeline
(``cobalamin.pipeline``); this function runs them on their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cobalamin.assessment import Alert
from cobalamin.case import Case
from cobalamin.engine import case_facts, evaluate
from cobalamin.knowledge.logic import FactValue
from cobalamin.knowledge.registry import Knowledge
from cobalamin.outcome import FiredRule, reduce_outcome

__all__ = ["safety_alerts"]

_DERIVED = ("deficiency", "severe")


def safety_alerts(
    case: Case, knowledge: Knowledge, derived: Mapping[str, Any] | None = None
) -> tuple[Alert, ...]:
    """Every safety alert the case supports, one per code, in rule order.

    ``derived`` may carry a pack's conclusions (``deficiency``, ``severe``); without them the
    rules that need a conclusion do not fire.
    """
    facts: dict[str, FactValue] = dict(case_facts(case))
    for name in _DERIVED:
        value = (derived or {}).get(name)
        if isinstance(value, str | bool):
            facts[name] = value
    rules = knowledge.safety
    result = evaluate(rules.pack, facts)
    fired = [FiredRule(t, r, *rules.citation(r)) for t, r in result.fired]
    return reduce_outcome(fired, case.results, knowledge.alerts, knowledge.sources.cite).alerts
