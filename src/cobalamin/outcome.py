"""The one outcome reducer: fired rules -> findings, next tests and alerts.

Every service that runs decision tables (assess, safety alerts, screening, cause work-up) and
the batch compiler's rendering of output signatures use this one function, so the order and
de-duplication rules exist once:

- findings: every fired rule's finding, in evaluation order;
- next tests: a test already measured is never advised; a test is listed where it is first
  advised, and marked reflex if any fired rule adds it to the same sample;
- alerts: one per code, at its first firing rule, with the catalogue's level, text and
  sources (the alert's own, then the firing rule's).

Every item carries the bibliography ids it rests on and a readable citation.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

from cobalamin.assessment import Alert, Finding, NextTestAdvice
from cobalamin.knowledge.alerts import AlertCatalogue
from cobalamin.knowledge.model import Rule

__all__ = ["FiredRule", "Outcome", "reduce_outcome"]


@dataclass(frozen=True)
class FiredRule:
    table: str
    rule: Rule
    source: str  # the readable citation of the rule's sources
    source_ids: tuple[str, ...] = ()  # the bibliography ids behind it


@dataclass(frozen=True)
class Outcome:
    findings: tuple[Finding, ...]
    next_tests: tuple[NextTestAdvice, ...]
    alerts: tuple[Alert, ...]


def reduce_outcome(
    fired: Iterable[FiredRule],
    measured: Collection[str],
    alerts: AlertCatalogue,
    cite: Callable[[Sequence[str]], str] | None = None,
) -> Outcome:
    """Findings, next tests and alerts of the fired rules, in order and without repeats.
    ``cite`` turns bibliography ids into readable citations (alerts cite the bibliography)."""
    findings: list[Finding] = []
    tests: dict[str, NextTestAdvice] = {}
    raised: dict[str, Alert] = {}
    for item in fired:
        rule = item.rule
        if rule.finding is not None:
            findings.append(
                Finding(
                    rule.id, item.table, rule.finding, item.source, rule.statement, item.source_ids
                )
            )
        for test in rule.next_tests:
            if test.test in measured:
                continue
            known = tests.get(test.test)
            if known is None or (test.reflex and not known.reflex):
                tests[test.test] = NextTestAdvice(
                    test.test, test.reflex, test.reason, rule.id, item.source, item.source_ids
                )
        for code in rule.alerts:
            if code not in raised:
                definition = alerts[code]
                ids = tuple(dict.fromkeys((*definition.source_ids, *item.source_ids)))
                citation = cite(ids) if cite is not None else "; ".join(ids)
                raised[code] = Alert(
                    code, definition.level, definition.text, citation, rule.id, ids
                )
    return Outcome(tuple(findings), tuple(tests.values()), tuple(raised.values()))
