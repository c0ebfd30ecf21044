"""Regimens turned into dated schedules (text, JSON, .ics)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from cobalamin import default_knowledge, plan, regimen_ids
from cobalamin.errors import InputError
from cobalamin.render.ics import plan_ics

START = dt.date(2026, 1, 5)  # a Monday


def _phase(result: object, phase: str) -> list[dt.date]:
    return [d.date for d in result.doses if d.phase == phase]  # type: ignore[attr-defined]


def test_design_regimen_ids_exist() -> None:
    assert {"be-im-loading", "nhg-im-hydroxo", "nice-im", "nice-im-neuro", "oral-1mg"} <= set(
        regimen_ids()
    )


def test_dutch_scheme_ten_loading_doses_three_days_apart_then_two_monthly() -> None:
    result = plan("nhg-im-hydroxo", START)
    loading = _phase(result, "loading")
    maintenance = _phase(result, "maintenance")
    assert len(loading) == 10
    assert all((b - a).days >= 3 for a, b in itertools.pairwise(loading))
    assert loading[-1] - loading[0] <= dt.timedelta(days=35)  # "10 injecties in vijf weken"
    assert loading[-1] == dt.date(2026, 2, 1)
    assert maintenance[0] == dt.date(2026, 4, 1)  # two months after the last loading dose
    assert maintenance[1:3] == [dt.date(2026, 6, 1), dt.date(2026, 8, 1)]
    dose = result.doses[0]
    assert (dose.dose_ug, dose.route, dose.form) == (1000, "im", "hydroxocobalamin")


def test_plan_json_matches_the_contract() -> None:
    data = plan("nhg-im-hydroxo", START).to_dict()
    assert data["regimen"] == "nhg-im-hydroxo" and data["source"]
    assert set(data["doses"][0]) == {"date", "dose_ug", "route", "form", "phase"}
    assert data["doses"][0] == {
        "date": "2026-01-05",
        "dose_ug": 1000,
        "route": "im",
        "form": "hydroxocobalamin",
        "phase": "loading",
    }
    assert [r["date"] for r in data["reviews"]] == ["2026-02-02", "2026-03-02"]


def test_ics_parses_and_shows_the_same_dates() -> None:
    result = plan("nhg-im-hydroxo", START, skip_weekends=True)
    calendar = Calendar.from_ical(plan_ics(result, default_knowledge().texts, "en"))
    events = [c for c in calendar.walk("VEVENT") if "review" not in str(c.get("uid"))]
    dates = [e.decoded("dtstart") for e in events]
    assert dates == [d.date for d in result.doses]
    assert all("B12" in str(e.get("summary")) for e in events)


def test_skip_weekends_keeps_minimum_interval() -> None:
    result = plan("nhg-im-hydroxo", dt.date(2026, 1, 9), skip_weekends=True)  # a Friday
    dates = [d.date for d in result.doses]
    assert all(d.weekday() < 5 for d in dates)
    loading = _phase(result, "loading")
    assert all((b - a).days >= 3 for a, b in itertools.pairwise(loading))


def test_a_guidelines_regimen_is_not_doubled_in_pregnancy() -> None:
    """Only the patient association doubles maintenance in pregnancy; NICE, the NHG and the
    Belgian review do not, so their regimens stay as written."""
    for regimen in ("nhg-im-hydroxo", "nice-im", "nice-im-neuro", "be-im-loading"):
        extra = {"loading_doses": 3} if regimen == "nice-im-neuro" else {}
        normal = plan(regimen, START, **extra)
        pregnant = plan(regimen, START, pregnant=True, **extra)
        assert _phase(pregnant, "maintenance") == _phase(normal, "maintenance"), regimen
        assert not pregnant.adjustments


def test_the_patient_associations_doubling_is_applied_only_on_request_and_labelled() -> None:
    """Stichting B12 Tekort: 'is het verstandig om gedurende deze situatie de frequentie van de
    onderhoudsdosering te verdubbelen'."""
    normal = _phase(plan("nhg-im-hydroxo", START), "maintenance")
    pregnant = plan("nhg-im-hydroxo", START, pregnant=True, adjust=["pregnancy_lactation"])
    doubled = _phase(pregnant, "maintenance")
    assert doubled[0] == dt.date(2026, 3, 1)  # one month after the last loading dose
    assert len(doubled) >= 2 * len(normal) - 1
    assert "Patient-association advice (Stichting B12 Tekort)" in pregnant.adjustments[0].en
    lactating = plan("nhg-im-hydroxo", START, lactating=True, adjust=["pregnancy_lactation"])
    assert _phase(lactating, "maintenance") == doubled
    not_pregnant = plan("nhg-im-hydroxo", START, adjust=["pregnancy_lactation"])
    assert _phase(not_pregnant, "maintenance") == normal
    with pytest.raises(InputError, match="im regimens only"):
        plan("oral-1mg", START, pregnant=True, adjust=["pregnancy_lactation"])
    with pytest.raises(InputError, match="unknown adjustment"):
        plan("nice-im", START, adjust=["triple"])


def test_oral_treatment_can_take_its_reviews_from_nice() -> None:
    """NASGP on NICE: reviewed after 1 month in those pregnant or breastfeeding."""
    result = plan("oral-1mg", START, lactating=True, followup_pack="nice-ng239")
    assert [r.date for r in result.reviews] == [dt.date(2026, 2, 5)]


def test_belgian_scheme_loads_six_mg_then_offers_two_maintenance_forms() -> None:
    cyano = plan("be-im-loading", START)
    assert len(_phase(cyano, "loading")) == 6
    assert next(d.form for d in cyano.doses if d.phase == "maintenance") == "cyanocobalamin"
    hydroxo = plan("be-im-loading", START, maintenance_form="hydroxocobalamin")
    first = _phase(hydroxo, "maintenance")[0]
    assert first == _phase(hydroxo, "loading")[-1].replace(month=4)  # three months later
    with pytest.raises(InputError, match="cyanocobalamin, hydroxocobalamin"):
        plan("be-im-loading", START, maintenance_form="methylcobalamin")


def test_nice_neuro_loading_is_open_ended_and_needs_a_count() -> None:
    with pytest.raises(InputError, match="loading_doses"):
        plan("nice-im-neuro", START)
    result = plan("nice-im-neuro", START, loading_doses=9)
    loading = _phase(result, "loading")
    assert len(loading) == 9
    assert all((b - a).days == 2 for a, b in itertools.pairwise(loading))
    with pytest.raises(InputError, match="fixed loading course"):
        plan("nhg-im-hydroxo", START, loading_doses=3)


def test_nice_im_reviews_at_three_months_or_one_month_in_pregnancy() -> None:
    assert [r.date for r in plan("nice-im", START).reviews] == [dt.date(2026, 4, 5)]
    assert [r.date for r in plan("nice-im", START, pregnant=True).reviews] == [dt.date(2026, 2, 5)]


def test_oral_is_daily_from_the_start_without_loading() -> None:
    result = plan("oral-1mg", START, until=dt.date(2026, 1, 11), skip_weekends=True)
    assert [d.date for d in result.doses] == [START + dt.timedelta(days=i) for i in range(7)]
    assert {d.route for d in result.doses} == {"oral"}
    assert result.notes


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"regimen_id": "no-such", "start": START}, "regimen"),
        ({"regimen_id": "oral-1mg", "start": "5 January"}, "start"),
        ({"regimen_id": "oral-1mg", "start": START, "until": "2025-01-01"}, "until"),
        ({"regimen_id": "oral-1mg", "start": START, "months": 0}, "months"),
    ],
)
def test_bad_input_names_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as caught:
        plan(**kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_unknown_regimen_lists_the_allowed_ones() -> None:
    with pytest.raises(InputError) as caught:
        plan("nhg", START)
    assert "nhg-im-hydroxo" in str(caught.value)


@settings(max_examples=60, deadline=None)
@given(
    start=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31)),
    regimen=st.sampled_from(["nhg-im-hydroxo", "be-im-loading", "nice-im"]),
    skip=st.booleans(),
    pregnant=st.booleans(),
)
def test_schedules_are_ordered_respect_minimum_intervals_and_weekends(
    start: dt.date, regimen: str, skip: bool, pregnant: bool
) -> None:
    result = plan(regimen, start, skip_weekends=skip, pregnant=pregnant)
    dates = [d.date for d in result.doses]
    assert dates == sorted(set(dates))
    assert dates[0] >= start and dates[-1] <= result.until
    loading = _phase(result, "loading")
    minimum = {"nhg-im-hydroxo": 3, "be-im-loading": 2, "nice-im": 2}[regimen]
    assert all((b - a).days >= minimum for a, b in itertools.pairwise(loading))
    if skip:
        assert all(d.weekday() < 5 for d in dates)
