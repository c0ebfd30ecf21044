"""Cause work-up after a likely deficiency: collect tables in ``data/workup.yaml``.

A table whose id is a pack id runs with that pack (and with packs that extend it); the table
``any-pack`` runs with every pack. Rules read the case and the pack's conclusions, taken from
an assessment already made.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from cobalamin.assessment import Alert, Assessment, Finding, NextTestAdvice
from cobalamin.case import Case
from cobalamin.engine import case_facts, evaluate
from cobalamin.knowledge.logic import FactValue
from cobalamin.knowledge.model import Pack
from cobalamin.knowledge.registry import Knowledge
from cobalamin.outcome import FiredRule, reduce_outcome

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
            "findings": [f.to_dict(lang) for f in self.findings],
            "next_tests": [t.to_dict(lang) for t in self.next_tests],
            "alerts": [a.to_dict(lang) for a in self.alerts],
        }


def workup(case: Case, assessment: Assessment, pack: Pack, knowledge: Knowledge) -> Workup:
    """Which tests point to the cause, under this pack, for a case already assessed."""
    facts: dict[str, FactValue] = dict(case_facts(case))
    facts["deficiency"] = assessment.deficiency
    facts["severe"] = assessment.severe
    rules = knowledge.workup
    wanted = {pack.id, ANY_PACK} | ({pack.extends} if pack.extends else set())
    selected = replace(rules.pack, tables=tuple(t for t in rules.pack.tables if t.id in wanted))
    result = evaluate(selected, facts)
    fired = [FiredRule(t, r, *rules.citation(r)) for t, r in result.fired]
    outcome = reduce_outcome(fired, case.results, knowledge.alerts, knowledge.sources.cite)
    return Workup(
        pack=pack.id,
        deficiency=assessment.deficiency,
        findings=outcome.findings,
        next_tests=outcome.next_tests,
        alerts=assessment.alerts,
    )
