"""Who to test: per-guideline screening tables in ``data/screening/<pack-id>.yaml``.

Each file is a set of decision tables (pack format) that sets ``test_now`` (yes, no,
consider, not_covered: the guideline does not cover this person), ``first_test`` (b12 = total
or active B12, total_b12, holotc, hcy, none) and ``retest``.
Guidelines disagree (NICE tests on one symptom plus one risk factor; the NHG advises against
routine testing for metformin or acid blockers alone): ``screen_all`` shows them side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cobalamin.assessment import Alert, Finding, citation_fields
from cobalamin.care.safety import safety_alerts
from cobalamin.case import Case
from cobalamin.engine import case_facts, evaluate
from cobalamin.knowledge.care_rules import SCREENING_OUTPUTS
from cobalamin.knowledge.model import Text
from cobalamin.knowledge.registry import Knowledge
from cobalamin.outcome import FiredRule, reduce_outcome
from cobalamin.person import Person

__all__ = ["OUTPUTS", "Screening", "screen", "screen_all"]

OUTPUTS = SCREENING_OUTPUTS


@dataclass(frozen=True)
class Screening:
    """One guideline's answer for one person."""

    pack: str
    title: Text
    test_now: str
    first_test: str
    retest: str
    decided_by: Finding  # the rule that set test_now, with its text and source
    findings: tuple[Finding, ...]
    alerts: tuple[Alert, ...]

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "pack": self.pack,
            "title": self.title.get(lang),
            "test_now": self.test_now,
            "first_test": self.first_test,
            "retest": self.retest,
            "reason": self.decided_by.text.get(lang),
            "rule": self.decided_by.rule,
            **citation_fields(self.decided_by.source, self.decided_by.source_ids),
            "statement": self.decided_by.statement,
            "findings": [f.to_dict(lang) for f in self.findings],
            "alerts": [a.to_dict(lang) for a in self.alerts],
        }


def screen(person: Person, pack_id: str, knowledge: Knowledge) -> Screening:
    """Whether to test this person now under one guideline, which test first, when to re-test."""
    rules = knowledge.screening(pack_id)
    case = Case(person=person, results={})
    result = evaluate(rules.pack, case_facts(case))
    fired = [FiredRule(t, r, *rules.citation(r)) for t, r in result.fired]
    findings = reduce_outcome(fired, (), knowledge.alerts, knowledge.sources.cite).findings
    setting = {item.rule.id for item in fired if any(k == "test_now" for k, _ in item.rule.sets)}
    decided = next((f for f in findings if f.rule in setting), None)
    assert decided is not None, f"{pack_id}: the rule that sets test_now needs a finding"
    return Screening(
        pack=pack_id,
        title=rules.pack.titles or Text(rules.pack.title, rules.pack.title),
        test_now=str(result.facts["test_now"]),
        first_test=str(result.facts["first_test"]),
        retest=str(result.facts["retest"]),
        decided_by=decided,
        findings=findings,
        alerts=safety_alerts(case, knowledge),
    )


def screen_all(
    person: Person, knowledge: Knowledge, packs: list[str] | None = None
) -> tuple[Screening, ...]:
    """``screen`` under every guideline with screening rules (or the ones named), side by side."""
    chosen = packs or knowledge.screening_pack_ids()
    return tuple(screen(person, pack_id, knowledge) for pack_id in chosen)
