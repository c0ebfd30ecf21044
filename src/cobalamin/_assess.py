"""``assess``: a pack's decision tables plus the services every assessment carries."""

from __future__ import annotations

from typing import Any

from cobalamin.assessment import Alert, Assessment, Finding, NextTestAdvice
from cobalamin.care.safety import safety_alerts
from cobalamin.case import Case, parse_case
from cobalamin.cb12 import compute as compute_cb12
from cobalamin.engine import case_facts, evaluate
from cobalamin.knowledge.alerts import alert_catalogue
from cobalamin.knowledge.model import Pack

__all__ = ["assess"]


def _source(pack: Pack, key: str | None) -> str:
    if key is None:
        return pack.id
    return f"{pack.id}/{key}: {pack.sources[key].citation}"


def assess(case: Case | dict[str, Any], pack: Pack) -> Assessment:
    """Interpret one case under one pack. Pure: the same input always gives the same output."""
    if not isinstance(case, Case):
        case = parse_case(case)
    given = case_facts(case)
    result = evaluate(pack, given)
    findings: list[Finding] = []
    tests: dict[str, NextTestAdvice] = {}
    alerts: dict[str, Alert] = {}
    catalogue = alert_catalogue()
    for table_id, rule in result.fired:
        source = _source(pack, rule.source)
        if rule.finding is not None:
            findings.append(Finding(rule.id, table_id, rule.finding, source, rule.statement))
        for test in rule.next_tests:
            if test.test in case.results:
                continue  # already measured on this sample
            known = tests.get(test.test)
            if known is None or (test.reflex and not known.reflex):
                tests[test.test] = NextTestAdvice(
                    test.test, test.reflex, test.reason, rule.id, source
                )
        for code in rule.alerts:
            definition = catalogue[code]
            alerts.setdefault(
                code, Alert(code, definition.level, definition.text, definition.source, rule.id)
            )
    for alert in safety_alerts(case, result.facts):  # data/safety.yaml, deduplicated by code
        alerts.setdefault(alert.code, alert)
    values = {m: v for m, r in case.results.items() if isinstance(v := r.value, float)}
    cb12 = compute_cb12(values, case.person.age)
    return Assessment(
        pack=pack.id,
        pack_title=pack.title,
        deficiency=str(result.facts["deficiency"]),
        severe=bool(result.facts.get("severe", False)),
        next_tests=tuple(tests.values()),
        findings=tuple(findings),
        alerts=tuple(alerts.values()),
        cb12=cb12,
        warnings=tuple(w.text for w in case.warnings),
        facts={k: str(v) for k, v in result.facts.items() if k not in given},
    )
