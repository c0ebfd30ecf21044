"""The assessment pipeline: one description that ``assess`` runs and the batch compiler compiles.

    pack tables          the guideline's or laboratory's decision tables (findings, next tests,
                         alerts, deficiency, severe)
    safety tables        data/safety.yaml, read the case and the pack's conclusions; they give
                         alerts and the tests those alerts ask for (their finding texts live in
                         the alerts)
    reduce               cobalamin.outcome.reduce_outcome (order, de-duplication)
    cB12                 cobalamin.cb12 with the constants in data/cb12.yaml

``AssessmentPipeline.tables`` is the one list of tables both paths run, with each stage's rules
already restricted to what the stage contributes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from cobalamin.assessment import Assessment, Finding, ShownValue
from cobalamin.case import Case, Result, parse_case
from cobalamin.cb12 import compute as compute_cb12
from cobalamin.engine import Evaluation, case_facts, evaluate
from cobalamin.knowledge.model import Pack, Rule, Table, Text, display_unit, format_number
from cobalamin.knowledge.registry import Knowledge
from cobalamin.knowledge.sources import cite
from cobalamin.outcome import FiredRule, reduce_outcome
from cobalamin.units import from_canonical, normalise_unit_text

__all__ = [
    "SAFETY_PREFIX",
    "SAFETY_READS",
    "AssessmentPipeline",
    "assess",
    "assessment_pipeline",
    "measured_values",
]

SAFETY_PREFIX = "safety__"
SAFETY_READS = ("deficiency", "severe")  # what the safety stage may read of the pack's facts
LANGS = ("en", "nl")


@dataclass(frozen=True)
class AssessmentPipeline:
    """A pack's tables followed by the safety tables, as one pack the engine runs."""

    pack: Pack  # the guideline's own pack
    combined: Pack  # the same pack with the safety tables appended (alerts and their tests)
    boundary: int  # index of the first safety table in ``combined.tables``
    cite: Callable[[str, Rule], tuple[str, tuple[str, ...]]]  # -> (citation, source ids)
    cite_ids: Callable[[Sequence[str]], str]  # bibliography (or the pack's local) ids -> text

    @property
    def tables(self) -> tuple[Table, ...]:
        return self.combined.tables

    def fired(self, evaluation: Evaluation) -> list[FiredRule]:
        return [
            FiredRule(table_id, rule, *self.cite(table_id, rule))
            for table_id, rule in evaluation.fired
        ]


def assessment_pipeline(pack: Pack, knowledge: Knowledge) -> AssessmentPipeline:
    """The pipeline of one pack: its tables, then the safety tables (alerts and their tests)."""
    safety = knowledge.safety
    bibliography = knowledge.sources
    safety_tables = tuple(
        replace(
            table,
            id=f"{SAFETY_PREFIX}{table.id}",
            rules=tuple(replace(rule, finding=None) for rule in table.rules),
        )
        for table in safety.pack.tables
    )

    def cite_rule(table_id: str, rule: Rule) -> tuple[str, tuple[str, ...]]:
        if table_id.startswith(SAFETY_PREFIX):
            return safety.citation(rule)
        ids = pack.citation_ids(rule)
        return pack.cite(ids), ids

    def cite_ids(ids: Sequence[str]) -> str:
        return cite(pack.sources.get(i) or bibliography[i] for i in ids)

    combined = replace(pack, tables=pack.tables + safety_tables)
    return AssessmentPipeline(pack, combined, len(pack.tables), cite_rule, cite_ids)


def measured_values(
    rule: Rule, pack: Pack, results: dict[str, Result], knowledge: Knowledge
) -> tuple[tuple[ShownValue, ...], Text | None]:
    """The results a rule read, as given (and, when compared with a cut-off in another unit, in
    the cut-off's unit), and the same as words in English and Dutch."""
    shown: dict[str, ShownValue] = {}
    for comparison in rule.when:
        result = results.get(comparison.fact)
        if result is None or comparison.op == "missing":
            continue
        cutoff = pack.cutoffs.get(comparison.cutoff or "")
        if not isinstance(result.value, float) or result.original_unit is None:
            shown.setdefault(result.test, ShownValue(result.test, str(result.value), None))
            continue
        given = float(result.original_value)
        if cutoff is None or _same_unit(result.original_unit, cutoff.unit):
            shown.setdefault(result.test, ShownValue(result.test, given, result.original_unit))
            continue
        converted = from_canonical(knowledge.analytes[cutoff.fact], result.value, cutoff.unit)
        shown[result.test] = ShownValue(
            result.test, given, result.original_unit, converted, cutoff.unit
        )
    if not shown:
        return (), None
    values = tuple(shown.values())
    words = {lang: "; ".join(_describe(v, lang, knowledge) for v in values) for lang in LANGS}
    return values, Text(words["en"], words["nl"])


def _same_unit(given: str, cutoff_unit: str) -> bool:
    return normalise_unit_text(given) == cutoff_unit


def _as_given(value: float, lang: str) -> str:
    text = f"{value:g}"
    return text.replace(".", ",") if lang == "nl" else text


def _describe(value: ShownValue, lang: str, knowledge: Knowledge) -> str:
    name = knowledge.texts.get(f"test.{value.test}", lang)
    if isinstance(value.value, str):  # a qualitative result: its word, in the output language
        word = knowledge.texts.get(f"result.{value.value}", lang)
        return knowledge.texts.get("finding.value", lang, name=name, given=word)
    given = f"{_as_given(value.value, lang)} {_unit(value.unit or '')}"
    if value.pack_value is None or value.pack_unit is None:
        return knowledge.texts.get("finding.value", lang, name=name, given=given)
    converted = f"{_significant(value.pack_value, lang)} {_unit(value.pack_unit)}"
    return knowledge.texts.get(
        "finding.value_converted", lang, name=name, given=given, converted=converted
    )


def _unit(unit: str) -> str:
    return display_unit(normalise_unit_text(unit))


def _significant(value: float, lang: str) -> str:
    return _as_given(float(f"{value:.4g}"), lang)


def _findings_with_values(
    findings: tuple[Finding, ...], pack: Pack, case: Case, knowledge: Knowledge
) -> tuple[Finding, ...]:
    rules = {rule.id: rule for table in pack.tables for rule in table.rules}
    shown = []
    for finding in findings:
        rule = rules.get(finding.rule)
        if rule is None:
            shown.append(finding)
            continue
        values, words = measured_values(rule, pack, case.results, knowledge)
        shown.append(replace(finding, values=values, measured=words))
    return tuple(shown)


def _warnings(case: Case, knowledge: Knowledge) -> tuple[Text, ...]:
    """The case's warnings in English and Dutch (texts.yaml)."""
    rendered = []
    for warning in case.warnings:
        result = case.results[warning.test]
        soft = knowledge.analytes[warning.test].soft_range
        if soft is None:  # pragma: no cover - a measuring-range warning needs a soft range
            rendered.append(Text(warning.text, warning.text))
            continue
        texts = {
            lang: knowledge.texts.get(
                f"warning.{warning.code}",
                lang,
                name=knowledge.texts.get(f"test.{warning.test}", lang),
                given=f"{_as_given(float(result.original_value), lang)} "
                f"{_unit(result.original_unit or '')}",
                low=format_number(soft.low, lang),
                high=format_number(soft.high, lang),
                unit=_unit(soft.unit),
            )
            for lang in ("en", "nl")
        }
        rendered.append(Text(texts["en"], texts["nl"]))
    return tuple(rendered)


def assess(case: Case | dict[str, Any], pack: Pack, knowledge: Knowledge) -> Assessment:
    """Interpret one case under one pack. Pure: the same input always gives the same output."""
    if not isinstance(case, Case):
        case = parse_case(case, knowledge.analytes, knowledge.vocabulary)
    pipeline = assessment_pipeline(pack, knowledge)
    given = case_facts(case)
    evaluation = evaluate(pipeline.combined, given)
    outcome = reduce_outcome(
        pipeline.fired(evaluation), case.results, knowledge.alerts, pipeline.cite_ids
    )
    values = {m: v for m, r in case.results.items() if isinstance(v := r.value, float)}
    cb12 = compute_cb12(values, case.person.age, knowledge.cb12)
    facts = evaluation.facts
    return Assessment(
        pack=pack.id,
        pack_title=pack.title,
        pack_sha256=pack.sha256,
        titles=pack.titles,
        deficiency=str(facts["deficiency"]),
        severe=bool(facts.get("severe", False)),
        next_tests=outcome.next_tests,
        findings=_findings_with_values(outcome.findings, pack, case, knowledge),
        alerts=outcome.alerts,
        cb12=cb12,
        disclaimer=knowledge.texts.text("disclaimer"),
        warnings=_warnings(case, knowledge),
        facts={k: str(v) for k, v in facts.items() if k not in given},
    )
