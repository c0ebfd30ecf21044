"""Who to test: per-guideline screening tables in ``data/screening/<pack-id>.yaml``.

Each file is a set of decision tables (pack format) that sets ``test_now`` (yes, no,
consider), ``first_test`` (b12 = total or active B12, holotc, hcy, none) and ``retest``.
Guidelines disagree (NICE tests on one symptom plus one risk factor; the NHG advises against
routine testing for metformin or acid blockers alone): ``screen_all`` shows them side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from cobalamin._data import data_path
from cobalamin._errors import InputError, KnowledgeError
from cobalamin.assessment import Alert, Finding
from cobalamin.care._rules import CareRules, load_care_rules
from cobalamin.care.safety import safety_alerts
from cobalamin.case import Case
from cobalamin.engine import case_facts, evaluate
from cobalamin.knowledge.model import Pack
from cobalamin.person import Person, parse_person

__all__ = ["OUTPUTS", "Screening", "screen", "screen_all", "screening_pack_ids"]

OUTPUTS: dict[str, tuple[str, ...]] = {
    "test_now": ("yes", "consider", "no"),
    "first_test": ("b12", "holotc", "hcy", "none"),
    "retest": ("if_symptoms", "periodic", "not_stated", "none"),
}


@dataclass(frozen=True)
class Screening:
    """One guideline's answer for one person."""

    pack: str
    title: str
    test_now: str
    first_test: str
    retest: str
    decided_by: Finding  # the rule that set test_now, with its text and source
    findings: tuple[Finding, ...]
    alerts: tuple[Alert, ...]

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "pack": self.pack,
            "title": self.title,
            "test_now": self.test_now,
            "first_test": self.first_test,
            "retest": self.retest,
            "reason": self.decided_by.text.get(lang),
            "rule": self.decided_by.rule,
            "source": self.decided_by.source,
            "statement": self.decided_by.statement,
            "findings": [f.to_dict(lang) for f in self.findings],
            "alerts": [a.to_dict(lang) for a in self.alerts],
        }


_FIRST = ("nice-ng239", "nhg-anemie")  # shown first: the two main guidelines side by side


def screening_pack_ids() -> list[str]:
    """Packs that have screening rules (NICE and NHG first, then by id)."""
    ids = sorted(p.stem for p in data_path("screening").glob("*.yaml"))
    return [i for i in _FIRST if i in ids] + [i for i in ids if i not in _FIRST]


@cache
def _rules(pack_id: str) -> CareRules:
    if pack_id not in screening_pack_ids():
        raise InputError(
            "pack", f"no screening rules for {pack_id!r}", ", ".join(screening_pack_ids())
        )
    rules = load_care_rules("screening", f"{pack_id}.yaml", required_outputs=tuple(OUTPUTS))
    where = rules.pack.path or pack_id
    for table in rules.pack.tables:
        for rule in table.rules:
            for name, value in rule.sets:
                if name in OUTPUTS and value not in OUTPUTS[name]:
                    raise KnowledgeError(
                        f"{where}: tables[{table.id}].rules[{rule.id}].set.{name}",
                        f"must be one of {', '.join(OUTPUTS[name])}",
                    )
    if rules.for_pack != pack_id:
        raise KnowledgeError(f"{where}: pack", f"must be {pack_id!r} (the file's name)")
    return rules


def _person(person: Person | dict[str, Any] | None) -> Person:
    return person if isinstance(person, Person) else parse_person(person)


def screen(person: Person | dict[str, Any] | None, pack: str | Pack) -> Screening:
    """Whether to test this person now under one guideline, which test first, when to re-test."""
    pack_id = pack.id if isinstance(pack, Pack) else pack
    rules = _rules(pack_id)
    case = Case(person=_person(person), results={})
    result = evaluate(rules.pack, case_facts(case))
    findings: list[Finding] = []
    decided: Finding | None = None
    for table_id, rule in result.fired:
        source = rules.source_text(rule.source)
        if rule.finding is not None:
            finding = Finding(rule.id, table_id, rule.finding, source, rule.statement)
            findings.append(finding)
            if any(name == "test_now" for name, _ in rule.sets):
                decided = finding
    assert decided is not None, f"{pack_id}: the rule that sets test_now needs a finding"
    return Screening(
        pack=pack_id,
        title=rules.pack.title,
        test_now=str(result.facts["test_now"]),
        first_test=str(result.facts["first_test"]),
        retest=str(result.facts["retest"]),
        decided_by=decided,
        findings=tuple(findings),
        alerts=safety_alerts(case),
    )


def screen_all(
    person: Person | dict[str, Any] | None, packs: list[str] | None = None
) -> tuple[Screening, ...]:
    """``screen`` under every guideline with screening rules (or the ones named), side by side."""
    checked = _person(person)
    return tuple(screen(checked, pack_id) for pack_id in (packs or screening_pack_ids()))
