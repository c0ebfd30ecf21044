"""Safety alerts: collect tables in ``data/safety.yaml``, run by the same engine as a pack.

``assess`` merges these alerts with the pack's own (deduplicated by code); ``screen`` returns
them for a person without results.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cobalamin.assessment import Alert
from cobalamin.care._rules import CareRules, load_care_rules
from cobalamin.case import Case, parse_case
from cobalamin.engine import case_facts, evaluate
from cobalamin.knowledge.alerts import alert_catalogue
from cobalamin.knowledge.logic import FactValue

__all__ = ["safety_alerts", "safety_rules"]

_DERIVED = ("deficiency", "severe")


def safety_rules() -> CareRules:
    """The safety rule file (loaded once)."""
    return load_care_rules("safety.yaml")


def safety_alerts(
    case: Case | dict[str, Any], derived: Mapping[str, Any] | None = None
) -> tuple[Alert, ...]:
    """Every safety alert the case supports, one per code, in rule order.

    ``derived`` may carry a pack's conclusions (``deficiency``, ``severe``); without them the
    rules that need a conclusion do not fire.
    """
    if not isinstance(case, Case):
        case = parse_case(case)
    facts: dict[str, FactValue] = dict(case_facts(case))
    for name in _DERIVED:
        value = (derived or {}).get(name)
        if isinstance(value, str | bool):
            facts[name] = value
    rules = safety_rules()
    result = evaluate(rules.pack, facts)
    catalogue = alert_catalogue()
    alerts: dict[str, Alert] = {}
    for _table, rule in result.fired:
        for code in rule.alerts:
            definition = catalogue[code]
            alerts.setdefault(
                code, Alert(code, definition.level, definition.text, definition.source, rule.id)
            )
    return tuple(alerts.values())
