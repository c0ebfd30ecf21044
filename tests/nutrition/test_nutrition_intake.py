"""The intake estimate: the issue's 'done means' items, properties, output contract, errors."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cobalamin import intake as intake_result
from cobalamin.absorption import absorb
from cobalamin.errors import InputError
from cobalamin.knowledge.physiology import load_parameters


def intake(diary: Any, person: Any = None, **kw: Any) -> dict[str, Any]:
    return intake_result(diary, person, **kw).to_dict()


def _crystalline(*doses: tuple[str, float], person: dict[str, Any] | None = None) -> dict[str, Any]:
    diary: dict[str, Any] = {
        "meals": [{"time": t, "items": [{"b12_ug": d, "form": "crystalline"}]} for t, d in doses]
    }
    if person is not None:
        diary["person"] = person
    return intake(diary)


def _fraction(dose: float) -> float:
    result = _crystalline(("08:00", dose))
    return float(result["absorbed_ug"]) / dose


def test_one_microgram_absorbs_about_half() -> None:
    assert 0.40 <= _fraction(1) <= 0.60


def test_25_micrograms_absorb_about_five_percent() -> None:
    assert 0.04 <= _fraction(25) <= 0.07


def test_1000_micrograms_absorb_one_to_two_percent() -> None:
    assert 0.01 <= _fraction(1000) <= 0.02


def test_three_small_meals_beat_one_large() -> None:
    three = _crystalline(("08:00", 1.5), ("13:00", 1.5), ("19:00", 1.5))["absorbed_ug"]
    one = _crystalline(("08:00", 4.5))["absorbed_ug"]
    assert three > 1.5 * one  # clearly more: about twice


def test_meals_close_together_share_one_window() -> None:
    apart = _crystalline(("08:00", 1.5), ("13:00", 1.5))["absorbed_ug"]
    close = _crystalline(("08:00", 1.5), ("09:00", 1.5))["absorbed_ug"]
    assert close < apart
    assert close == pytest.approx(_crystalline(("08:00", 3.0))["absorbed_ug"], abs=0.002)


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=0, max_value=5000, allow_nan=False))
def test_absorbed_never_exceeds_ingested(dose: float) -> None:
    assert 0 <= absorb(dose, load_parameters()) <= dose + 1e-12


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=0, max_value=5000), st.floats(min_value=0, max_value=5000))
def test_absorbed_is_monotone_in_dose(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    p = load_parameters()
    assert absorb(lo, p) <= absorb(hi, p) + 1e-12


def test_acid_blocker_cuts_food_b12_not_crystalline() -> None:
    food = {"meals": [{"time": "08:00", "items": [{"b12_ug": 1, "form": "food"}]}]}
    normal = intake(food)["absorbed_ug"]
    ppi = intake({**food, "person": {"medications": ["ppi"]}})["absorbed_ug"]
    assert ppi < 0.45 * normal
    cryst_ppi = _crystalline(("08:00", 1), person={"medications": ["ppi"]})["absorbed_ug"]
    assert cryst_ppi == _crystalline(("08:00", 1))["absorbed_ug"]


def test_pernicious_anaemia_leaves_only_passive_absorption() -> None:
    pa = _crystalline(("08:00", 1000), person={"conditions": ["pernicious_anaemia"]})
    p = load_parameters()
    assert pa["absorbed_ug"] == pytest.approx(1000 * p.passive_fraction, rel=1e-3)


def test_output_contract_and_advice() -> None:
    result = intake(
        {
            "person": {"age": 35, "sex": "female", "pregnant": True, "diet": "vegan"},
            "meals": [
                {
                    "time": "08:00",
                    "items": [
                        {"food": "halfvolle melk", "amount_g": 150},
                        {"food": "nori", "portions": 1},
                    ],
                },
                {
                    "time": "12:30",
                    "items": [{"food": "lean beef", "amount_g": 100, "cooked": True}],
                },
            ],
        }
    )
    assert set(result) >= {"ingested_ug", "absorbed_ug", "meals", "reference", "advice"}
    assert [m["time"] for m in result["meals"]] == ["08:00", "12:30"]
    for meal in result["meals"]:
        assert set(meal) >= {"time", "ingested_ug", "absorbed_ug"}
        assert meal["absorbed_ug"] <= meal["ingested_ug"]
    # milk 0.7 (NEVO) + beef 1.7 less 33 % cooking loss; nori not counted
    assert result["ingested_ug"] == pytest.approx(0.7 + 1.7 * 0.67, abs=0.01)
    assert result["reference"] == {**result["reference"], "authority": "efsa_2015", "value_ug": 4.5}
    assert any("doctor" in line for line in result["advice"]["en"])
    assert any("arts" in line for line in result["advice"]["nl"])
    assert any("nori" in line for line in result["advice"]["en"])


def test_authority_choice() -> None:
    diary = {
        "authority": "be_hgr_seed002",
        "person": {"age": 50},
        "meals": [{"time": "08:00", "items": [{"b12_ug": 2}]}],
    }
    assert intake(diary)["reference"]["value_ug"] == 1.4


@pytest.mark.parametrize(
    ("diary", "field"),
    [
        ({"meals": []}, "meals"),
        ({"meals": [{"time": "25:00", "items": [{"b12_ug": 1}]}]}, "meals[0].time"),
        ({"meals": [{"time": "08:00", "items": [{"b12_ug": -1}]}]}, "meals[0].items[0].b12_ug"),
        ({"meals": [{"time": "08:00", "items": [{}]}]}, "meals[0].items[0]"),
        ({"meals": [{"time": "08:00", "items": [{"food": "zzz"}]}]}, "meals[0].items[0].food"),
        (
            {
                "person": {"conditions": ["nope"]},
                "meals": [{"time": "08:00", "items": [{"b12_ug": 1}]}],
            },
            "person.conditions[0]",
        ),
        ({"meals": [{"time": "08:00", "items": [{"b12_ug": 1}]}], "extra": 1}, "extra"),
    ],
)
def test_bad_diaries_name_the_field(diary: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as err:
        intake(diary)
    assert err.value.field == field


def test_person_argument_overrides_the_diary() -> None:
    diary = {"person": {"age": 40}, "meals": [{"time": "08:00", "items": [{"b12_ug": 1}]}]}
    result = intake(diary, {"age": 30, "sex": "female", "lactating": True})
    assert result["reference"]["value_ug"] == 5.0
    with pytest.raises(InputError) as err:
        intake(diary, {"age": -1})
    assert err.value.field == "person.age"


def test_intake_returns_a_typed_result_rendered_apart() -> None:
    from cobalamin.nutrition.intake import IntakeResult
    from cobalamin.nutrition.render import render_intake_text

    result = intake_result(
        {
            "person": {"medications": ["h2_blocker"]},
            "meals": [{"time": "08:00", "items": [{"b12_ug": 2}]}],
        }
    )
    assert isinstance(result, IntakeResult)
    assert result.absorbed_ug < result.ingested_ug
    text = render_intake_text(result, "nl")
    assert "Opgenomen" in text and "Maaltijd" in text
    assert result.to_dict("nl")["ingested_ug"] == 2.0
