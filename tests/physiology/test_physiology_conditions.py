"""Conditions and medications: modelled ones change absorption with a sourced effect size;
the others are reported as not modelled, in the output's language."""

from __future__ import annotations

from typing import Any

import pytest

from cobalamin import simulate
from cobalamin.knowledge.physiology import load_parameters


def _end_serum(person: dict[str, Any], days: int = 1570) -> float:
    r = simulate({"person": person, "intake": {"food_ug_per_day": 6}, "days": days}).to_dict()
    return float(r["serum_b12_pmol_l"][-1])


def test_metformin_lowers_serum_b12_as_in_the_trial() -> None:
    # de Jager 2010: -19 % (95 % CI -24 to -14 %) vs placebo after 4.3 years
    change = _end_serum({"medications": ["metformin"]}) / _end_serum({}) - 1
    assert -0.24 <= change <= -0.14


def test_h2_blocker_acts_on_food_b12_only_and_less_than_nothing() -> None:
    p = load_parameters()
    assert p.modifiers["h2_blocker"].s_if == 1.0
    assert 0 < p.modifiers["h2_blocker"].food_release < 1
    assert _end_serum({"medications": ["h2_blocker"]}) < _end_serum({})


@pytest.mark.parametrize(
    "condition", ["sleeve_gastrectomy", "partial_gastrectomy", "ileal_resection"]
)
def test_unmodelled_conditions_are_reported_in_both_languages(condition: str) -> None:
    result = simulate({"person": {"conditions": [condition]}, "days": 3})
    en, nl = result.to_dict("en")["notes"], result.to_dict("nl")["notes"]
    assert any(n.startswith(condition) for n in en)
    assert any(n.startswith(condition) for n in nl)
    assert en != nl
    # not modelled means: no effect on absorption
    assert result.modifier.s_if == 1.0 and result.modifier.food_release == 1.0


@pytest.mark.parametrize("form", ["cyanocobalamin", "hydroxocobalamin", "methylcobalamin"])
def test_oral_supplement_form_is_said_to_be_not_distinguished(form: str) -> None:
    # Greibe 2018 (CobaSorb): cyanocobalamin raised holoTC more than twice as much as
    # hydroxocobalamin over 2 days; the model absorbs and distributes every oral form alike,
    # so a scenario with an oral supplement says so, and the form changes nothing
    scenario = {"supplements": [{"dose_ug": 50, "form": form}], "days": 10}
    result = simulate(scenario)
    en, nl = result.to_dict("en")["notes"], result.to_dict("nl")["notes"]
    assert any(n.startswith("oral_form:") and "Greibe" in n for n in en)
    assert any(n.startswith("oral_form:") and "cyanocobalamine" in n for n in nl)
    cyano = simulate({**scenario, "supplements": [{"dose_ug": 50}]}).to_dict()
    assert result.to_dict()["holotc_pmol_l"] == cyano["holotc_pmol_l"]


def test_no_oral_form_note_without_an_oral_supplement() -> None:
    injected = {"injections": [{"day": 0, "dose_ug": 1000}], "days": 10}
    for scenario in ({"days": 10}, injected):
        notes = simulate(scenario).to_dict("en")["notes"]
        assert not any(n.startswith("oral_form:") for n in notes)
