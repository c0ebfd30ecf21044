"""The starting point is explicit: a person who switches today, or one who has lived so for years."""

from __future__ import annotations

from typing import Any

import pytest

from cobalamin import simulate
from cobalamin.errors import InputError


def _run(**kw: Any) -> dict[str, Any]:
    return simulate(kw).to_dict()


def test_default_is_a_switch_today_from_a_typical_omnivore() -> None:
    vegan = _run(person={"diet": "vegan"}, days=10)
    omnivore = _run(person={"diet": "omnivore"}, days=10)
    assert vegan["start"]["mode"] == "switch_today"
    assert vegan["start"]["usual_food_ug_per_day"] == 6.0
    # day 0 is the omnivore steady state, not a lifelong vegan (issue 15: was 22 pmol/L)
    assert vegan["serum_b12_pmol_l"][0] == pytest.approx(omnivore["serum_b12_pmol_l"][0])
    assert vegan["serum_b12_pmol_l"][0] > 250
    assert vegan["holotc_pmol_l"][10] < vegan["holotc_pmol_l"][0]
    assert "switches today" in vegan["start"]["text"]


def test_steady_state_is_a_lifelong_pattern() -> None:
    r = _run(person={"diet": "vegan"}, start="steady_state", days=400)
    assert r["start"]["mode"] == "steady_state"
    assert r["start"]["usual_food_ug_per_day"] is None
    assert r["serum_b12_pmol_l"][-1] == pytest.approx(r["serum_b12_pmol_l"][0], rel=1e-3)
    assert r["serum_b12_pmol_l"][0] < 148  # long-term vegans without B12 (Gilsing 2010)


def test_start_inside_initial_and_dutch_text() -> None:
    r = simulate({"initial": {"start": "steady_state"}, "days": 2}).to_dict("nl")
    assert r["start"]["mode"] == "steady_state"
    assert "evenwicht" in r["start"]["text"]


def test_usual_diet_before_the_switch_can_be_given() -> None:
    r = _run(person={"diet": "vegan"}, initial={"usual_food_ug_per_day": 3}, days=2)
    assert r["start"]["usual_food_ug_per_day"] == 3


@pytest.mark.parametrize(
    ("scenario", "field"),
    [
        ({"start": "yesterday", "days": 2}, "initial.start"),
        ({"start": "steady_state", "initial": {"start": "switch_today"}, "days": 2}, "start"),
    ],
)
def test_bad_start(scenario: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as err:
        simulate(scenario)
    assert err.value.field == field
