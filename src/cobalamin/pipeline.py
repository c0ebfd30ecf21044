"""The assessment pipeline: one description that ``assess`` runs and the batch compiler compiles.

    pack tables          the guideline's or laboratory's decision tables (findings, next tests,
                         alerts, deficiency, severe)
    safety tables        data/safety.yaml, read the case and the pack's conclusions; they give
                         alerts only
    reduce               cobalamin.outcome.reduce_outcome (order, de-duplication)
    cB12                 cobalamin.cb12 with the constants in data/cb12.yaml

``AssessmentPipeline.tables`` is the one list of tables both paths run, with each stage's rules
already restricted to what the stage contributes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from cobalamin.assessment import Assessment
from cobalamin.case import Case, parse_case
from cobalamin.cb12 import compute as compute_cb12
from cobalamin.engine import Evaluation, case_facts, evaluate
from cobalamin.knowledge.model import Pack, Rule, Table
from cobalamin.knowledge.registry import Knowledge
from cobalamin.outcome import FiredRule, reduce_outcome

__all__ = [
    "SAFETY_PREFIX",
    "SAFETY_READS",
    "AssessmentPipeline",
    "assess",
    "assessment_pipeline",
]

SAFETY_PREFIX = "safety__"
SAFETY_READS = ("deficiency", "severe")  # what the safety stage may read of the pack's facts


@dataclass(frozen=True)
class AssessmentPipeline:
    """A pack's tables followed by the safety tables, as one pack the engine runs."""

    pack: Pack  # the guideline's own pack
    combined: Pack  # the same pack with the safety tables appended (alerts only)
    boundary: int  # index of the first safety table in ``combined.tables``
    cite: Callable[[str, Rule], str]  # (table id, rule) -> readable citation

    @property
    def tables(self) -> tuple[Table, ...]:
        return self.combined.tables

    def fired(self, evaluation: Evaluation) -> list[FiredRule]:
        return [
            FiredRule(table_id, rule, self.cite(table_id, rule))
            for table_id, rule in evaluation.fired
        ]


def assessment_pipeline(pack: Pack, knowledge: Knowledge) -> AssessmentPipeline:
    """The pipeline of one pack: its tables, then the safety tables (their alerts only)."""
    safety = knowledge.safety
    safety_tables = tuple(
        replace(
            table,
            id=f"{SAFETY_PREFIX}{table.id}",
            rules=tuple(replace(rule, finding=None, next_tests=()) for rule in table.rules),
        )
        for table in safety.pack.tables
    )

    def cite(table_id: str, rule: Rule) -> str:
        if table_id.startswith(SAFETY_PREFIX):
            return safety.source_text(rule.source)
        # the rule's own source, then the source of every cut-off number it uses: a site's
        # overridden cut-off is shown with the site's citation, never only the parent's
        keys = [rule.source] if rule.source else []
        keys += [pack.cutoffs[name].source for name in rule.cutoffs if name in pack.cutoffs]
        if not keys:
            return pack.id
        return "; ".join(
            f"{pack.id}/{key}: {pack.sources[key].citation}" for key in dict.fromkeys(keys)
        )

    combined = replace(pack, tables=pack.tables + safety_tables)
    return AssessmentPipeline(pack, combined, len(pack.tables), cite)


def assess(case: Case | dict[str, Any], pack: Pack, knowledge: Knowledge) -> Assessment:
    """Interpret one case under one pack. Pure: the same input always gives the same output."""
    if not isinstance(case, Case):
        case = parse_case(case, knowledge.analytes, knowledge.vocabulary)
    pipeline = assessment_pipeline(pack, knowledge)
    given = case_facts(case)
    evaluation = evaluate(pipeline.combined, given)
    outcome = reduce_outcome(pipeline.fired(evaluation), case.results, knowledge.alerts)
    values = {m: v for m, r in case.results.items() if isinstance(v := r.value, float)}
    cb12 = compute_cb12(values, case.person.age, knowledge.cb12)
    facts = evaluation.facts
    return Assessment(
        pack=pack.id,
        pack_title=pack.title,
        pack_sha256=pack.sha256,
        deficiency=str(facts["deficiency"]),
        severe=bool(facts.get("severe", False)),
        next_tests=outcome.next_tests,
        findings=outcome.findings,
        alerts=outcome.alerts,
        cb12=cb12,
        disclaimer=knowledge.texts.text("disclaimer"),
        warnings=tuple(w.text for w in case.warnings),
        facts={k: str(v) for k, v in facts.items() if k not in given},
    )
