"""Cause work-up after a likely deficiency: collect tables in ``data/workup.yaml``.

A table whose id is a pack id runs with that pack (and with packs that extend it); the table
``any-pack`` runs with every pack. Rules read the case and the pack's ``deficiency``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from cobalamin.assessment import Alert, Finding, NextTestAdvice
from cobalamin.care._rules import CareRules, load_care_rules
from cobalamin.case import Case, parse_case
from cobalamin.engine import case_facts, evaluate
from cobalamin.knowledge.logic import FactValue
from cobalamin.knowledge.model import Pack

__all__ = ["Workup", "workup"]

ANY_PACK = "any-pack"


@dataclass(frozen=True)
class Workup:
    pack: str
    deficiency: str
    findings: tuple[Finding, ...]
    next_tests: tuple[NextTestAdvice, ...]
    alerts: tuple[Alert, ...]

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "pack": self.pack,
            "deficiency": self.deficiency,
            "findings": [
                {"rule": f.rule, "text": f.text.get(lang), "source": f.source}
                for f in self.findings
            ],
            "next_tests": [
                {"test": t.test, "reason": t.reason.get(lang), "rule": t.rule, "source": t.source}
                for t in self.next_tests
            ],
            "alerts": [
                {"code": a.code, "level": a.level, "text": a.text.get(lang), "source": a.source}
                for a in self.alerts
            ],
        }


def workup_rules() -> CareRules:
    return load_care_rules("workup.yaml")


def workup(case: Case | dict[str, Any], pack: Pack) -> Workup:
    """Which tests point to the cause, under this pack, for this case."""
    from cobalamin._assess import assess  # late: _assess imports care.safety

    if not isinstance(case, Case):
        case = parse_case(case)
    assessment = assess(case, pack)
    facts: dict[str, FactValue] = dict(case_facts(case))
    facts["deficiency"] = assessment.deficiency
    facts["severe"] = assessment.severe
    rules = workup_rules()
    wanted = {pack.id, ANY_PACK} | ({pack.extends} if pack.extends else set())
    selected = replace(rules.pack, tables=tuple(t for t in rules.pack.tables if t.id in wanted))
    result = evaluate(selected, facts)
    findings: list[Finding] = []
    tests: dict[str, NextTestAdvice] = {}
    for table_id, rule in result.fired:
        source = rules.source_text(rule.source)
        if rule.finding is not None:
            findings.append(Finding(rule.id, table_id, rule.finding, source, rule.statement))
        for test in rule.next_tests:
            if test.test not in case.results:
                tests.setdefault(
                    test.test, NextTestAdvice(test.test, False, test.reason, rule.id, source)
                )
    return Workup(
        pack=pack.id,
        deficiency=assessment.deficiency,
        findings=tuple(findings),
        next_tests=tuple(tests.values()),
        alerts=assessment.alerts,
    )
