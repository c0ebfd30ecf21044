"""The response-to-treatment check follows its source, Farmacotherapeutisch Kompas
(megaloblastic anaemia), as data/followup.yaml quotes it: "Check Hb at 4 weeks and at 8-10
weeks. Expect Hb to rise by at least 10% after 4 weeks." """

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cobalamin import default_knowledge
from cobalamin.storage.response import load_criteria, response_check

START = dt.date(2025, 3, 3)
SOURCE_SENTENCE = "Expect Hb to rise by at least 10% after 4 weeks."


def _record(
    hb: list[tuple[dt.date, float]], mma: list[tuple[dt.date, float]] = ()
) -> dict[str, Any]:
    samples = [
        {"sample_date": day.isoformat(), "results": [{"test": test, "value": value, "unit": unit}]}
        for test, unit, series in (("hb", "g/L", hb), ("mma", "umol/L", mma))
        for day, value in series
    ]
    return {"samples": samples, "plans": [{"start": START.isoformat()}], "doses": []}


def test_the_criterion_is_the_sources_own_number() -> None:
    criteria = load_criteria()
    knowledge = default_knowledge()
    rule = criteria.hb_rise
    assert SOURCE_SENTENCE in rule.statement
    assert rule.min_rise_fraction == 0.10 and rule.after.weeks == 4
    reference = knowledge.sources[rule.source]
    assert "Farmacotherapeutisch Kompas" in reference.citation()
    assert reference.note is not None and "10% after 4 weeks" in reference.note


@pytest.mark.parametrize(
    ("baseline", "after_4_weeks", "status"),
    [
        (100.0, 110.0, "met"),  # exactly 10%: "at least 10%"
        (100.0, 125.0, "met"),
        (100.0, 109.0, "not_met"),
        (100.0, 95.0, "not_met"),
    ],
)
def test_hb_four_weeks_after_the_start_is_compared_with_before(
    baseline: float, after_4_weeks: float, status: str
) -> None:
    hb = [(START - dt.timedelta(days=3), baseline), (START + dt.timedelta(days=29), after_4_weeks)]
    check = response_check(_record(hb), load_criteria(), default_knowledge())
    assert check.status == status
    assert check.due == START + dt.timedelta(weeks=4)
    assert check.rise_fraction == pytest.approx((after_4_weeks - baseline) / baseline)
    assert "Kompas" in check.source


def test_values_too_early_or_without_a_baseline_give_no_verdict() -> None:
    knowledge, criteria = default_knowledge(), load_criteria()
    early = [(START - dt.timedelta(days=1), 100.0), (START + dt.timedelta(days=27), 130.0)]
    assert response_check(_record(early), criteria, knowledge).status == "waiting"
    no_baseline = [(START + dt.timedelta(days=30), 120.0)]
    assert response_check(_record(no_baseline), criteria, knowledge).status == "no_baseline"
    empty = {"samples": [], "plans": [], "doses": []}
    assert response_check(empty, criteria, knowledge).status == "no_plan"


def test_mma_is_shown_for_information_only() -> None:
    hb = [(START - dt.timedelta(days=1), 100.0)]
    mma = [
        (START - dt.timedelta(days=2), 0.9),
        (START + dt.timedelta(days=20), 0.5),
        (START + dt.timedelta(days=60), 0.3),
    ]
    check = response_check(_record(hb, mma), load_criteria(), default_knowledge(), "nl")
    ((test, before, after, note),) = check.information
    assert test == "mma" and before is not None and after is not None
    assert (before.value, after.value) == (0.9, 0.3)
    assert "geen gelezen bron" in note
