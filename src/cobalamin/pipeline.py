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

A case with a censored result (``<50``) is decided by ``assess_censored``: the pipeline runs at one
value of every class of the interval the result allows, and reports the answer only when all
classes agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import product
from typing import Any

from cobalamin.assessment import Assessment, Finding, NextTestAdvice, ShownValue
from cobalamin.case import Case, Result, parse_case
from cobalamin.cb12 import compute as compute_cb12
from cobalamin.engine import Evaluation, case_facts, evaluate
from cobalamin.knowledge.coverage import interval_representatives
from cobalamin.knowledge.loader import EDGE_TOLERANCE
from cobalamin.knowledge.model import (
    Comparison,
    Pack,
    Rule,
    Table,
    Text,
    display_unit,
    format_number,
)
from cobalamin.knowledge.registry import Knowledge
from cobalamin.knowledge.sources import cite
from cobalamin.outcome import FiredRule, reduce_outcome
from cobalamin.units import from_canonical, normalise_unit_text

__all__ = [
    "SAFETY_PREFIX",
    "SAFETY_READS",
    "AssessmentPipeline",
    "assess",
    "assess_censored",
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
            shown.setdefault(
                result.test,
                ShownValue(result.test, given, result.original_unit, comparator=result.comparator),
            )
            continue
        converted = from_canonical(knowledge.analytes[cutoff.fact], result.value, cutoff.unit)
        shown[result.test] = ShownValue(
            result.test, given, result.original_unit, converted, cutoff.unit, result.comparator
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
    sign = value.comparator or ""
    given = f"{sign}{_as_given(value.value, lang)} {_unit(value.unit or '')}"
    if value.pack_value is None or value.pack_unit is None:
        return knowledge.texts.get("finding.value", lang, name=name, given=given)
    converted = f"{sign}{_significant(value.pack_value, lang)} {_unit(value.pack_unit)}"
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
    if case.censored:
        return assess_censored(case, pack, knowledge)
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


# --- censored results ---------------------------------------------------------------------


@dataclass(frozen=True)
class _CensoredSpan:
    """The values a censored result allows, one per class the rules can tell apart."""

    result: Result
    values: tuple[float, ...]
    cutoffs: tuple[str, ...]  # the cut-offs inside the interval, as the packs write them


def _censored_span(
    result: Result,
    comparisons: Sequence[Comparison],
    low: float,
    high: float,
    names: dict[tuple[str, float], str],
) -> _CensoredSpan:
    assert isinstance(result.value, float) and result.comparator is not None
    # The limit went through the same unit conversion as the cut-offs: a value within
    # EDGE_TOLERANCE of it is *at* it, so "<150" stops short of that band and "<=150" takes it in.
    slack = abs(result.value) * EDGE_TOLERANCE
    comparator = result.comparator
    limit = result.value + (slack if comparator in ("<=", ">") else -slack)
    # A cut-off moved the same way from (nearly) the same number is the limit: snap to it, or
    # float noise would leave a sliver between them. The other side's edge is 2 * slack away.
    numbers = [c.number for c in comparisons if c.number is not None]
    limit = next((n for n in numbers if abs(n - limit) <= slack / 2), limit)
    if comparator in ("<", "<="):
        start, end, open_start, open_end = low, limit, False, comparator == "<"
    else:
        start, end, open_start, open_end = limit, high, comparator == ">", False
    values = interval_representatives(
        start, end, comparisons, low_open=open_start, high_open=open_end
    )
    inside: dict[float, str] = {}
    for c in comparisons:
        if c.number is None or not start <= c.number <= end:
            continue
        if (open_start and c.number == start) or (open_end and c.number == end):
            continue
        shown = names.get((c.cutoff or "", c.number), f"{c.number:g} {result.unit}")
        inside.setdefault(c.number, shown)
    return _CensoredSpan(result, tuple(values), tuple(inside[n] for n in sorted(inside)))


def _signature(result: Assessment) -> tuple[Any, ...]:
    return (
        result.deficiency,
        result.severe,
        tuple((f.table, f.rule) for f in result.findings),
        tuple((t.test, t.reflex) for t in result.next_tests),
        tuple(a.code for a in result.alerts),
    )


def _shared(runs: Sequence[Assessment]) -> Assessment:
    """What every run says: the deficiency if all agree (else indeterminate), severe only if
    all are, and the findings, next tests and alerts common to all, in the first run's order."""
    first, others = runs[0], runs[1:]
    findings = tuple(
        f
        for f in first.findings
        if all(any((g.table, g.rule) == (f.table, f.rule) for g in o.findings) for o in others)
    )
    tests: list[NextTestAdvice] = []
    for advice in first.next_tests:
        matches = [next((t for t in o.next_tests if t.test == advice.test), None) for o in others]
        if all(m is not None for m in matches):
            reflex = advice.reflex and all(m is not None and m.reflex for m in matches)
            tests.append(replace(advice, reflex=reflex))
    alerts = tuple(
        a for a in first.alerts if all(any(b.code == a.code for b in o.alerts) for o in others)
    )
    deficiency = first.deficiency
    if any(o.deficiency != deficiency for o in others):
        deficiency = "indeterminate"
    facts = {k: v for k, v in first.facts.items() if all(o.facts.get(k) == v for o in others)}
    return replace(
        first,
        deficiency=deficiency,
        severe=all(r.severe for r in runs),
        findings=findings,
        next_tests=tuple(tests),
        alerts=alerts,
        facts=facts | {"deficiency": deficiency},
    )


def _varies(
    runs: Sequence[tuple[tuple[float, ...], Assessment]],
    position: int,
    aspect: Callable[[Assessment], Any],
) -> bool:
    """Whether the censored result at ``position`` changes ``aspect`` of the outcome while the
    other censored results are held still."""
    groups: dict[tuple[float, ...], set[Any]] = {}
    for combo, result in runs:
        groups.setdefault(combo[:position] + combo[position + 1 :], set()).add(aspect(result))
    return any(len(found) > 1 for found in groups.values())


def assess_censored(case: Case, pack: Pack, knowledge: Knowledge) -> Assessment:
    """Interpret a case with censored results (``<50``, ``>1476``) exactly.

    Each censored result allows an interval of values (from the catalogue's lowest possible
    value up to the limit, or from the limit up). The pipeline runs at one value of every class
    of that interval its rules can tell apart (each cut-off inside it and the stretches between,
    ``interval_representatives``), for every combination when several results are censored.
    What all runs agree on is the answer: a value below a detection limit that itself lies
    below a cut-off is classed below the cut-off. Where they differ, the limit lies beyond a
    cut-off: the deficiency is indeterminate when the runs differ on it, severe holds only when
    every run is severe, findings, next tests and alerts are those every run shares, and a
    finding names the cut-off. Either way a finding says the result was censored.
    """
    pipeline = assessment_pipeline(pack, knowledge)
    names = {  # a cut-off as its pack writes it, by name and canonical value
        (name, c.canonical): c.display()
        for cutoffs in (knowledge.safety.pack.cutoffs, pack.cutoffs)
        for name, c in cutoffs.items()
    }
    spans: dict[str, _CensoredSpan] = {}
    censored = tuple(t for t in knowledge.analytes if t in case.censored)  # catalogue order
    for test in censored:
        hard = knowledge.analytes[test].hard_range
        assert hard is not None
        on_test = [c for t in pipeline.tables for r in t.rules for c in r.when if c.fact == test]
        spans[test] = _censored_span(case.results[test], on_test, hard.low, hard.high, names)
    runs: list[tuple[tuple[float, ...], Assessment]] = []
    for combo in product(*(span.values for span in spans.values())):
        exact = dict(case.results)
        for test, value in zip(spans, combo, strict=True):
            exact[test] = replace(case.results[test], value=value, comparator=None)
        runs.append((combo, assess(replace(case, results=exact), pack, knowledge)))
    texts = knowledge.texts
    notes: list[Finding] = []
    for position, (test, span) in enumerate(spans.items()):
        below = span.result.comparator in ("<", "<=")
        if _varies(runs, position, lambda result: result.deficiency):
            key = "censored.indeterminate_low" if below else "censored.indeterminate_high"
        elif _varies(runs, position, _signature):
            key = "censored.partial_low" if below else "censored.partial_high"
        else:
            key = "censored.agree"
        values = {"result": f"{test} {span.result.display()}", "cutoffs": ", ".join(span.cutoffs)}
        text = Text(texts.get(key, "en", **values), texts.get(key, "nl", **values))
        notes.append(
            Finding(f"censored_{test}", "censored", text, texts.get("censored.source", "en"))
        )
    combined = _shared([result for _, result in runs])
    exact_values = {
        m: v
        for m, r in case.results.items()
        if isinstance(v := r.value, float) and not r.comparator
    }
    # the shared findings show the results as given (<50), not one run's value
    findings = _findings_with_values(combined.findings, pack, case, knowledge)
    return replace(
        combined,
        findings=(*notes, *findings),
        cb12=compute_cb12(exact_values, case.person.age, knowledge.cb12),
        censored=censored,
    )
