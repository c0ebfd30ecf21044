"""Bad scenarios are input errors that name the field."""

from __future__ import annotations

from typing import Any

import pytest

from cobalamin import simulate
from cobalamin.errors import InputError

OK: dict[str, Any] = {"intake": {"food_ug_per_day": 4}, "days": 30}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"days": 0}, "days"),
        ({"days": -3}, "days"),
        ({"days": 10**7}, "days"),
        ({"days": "long"}, "days"),
        ({"supplements": [{"dose_ug": -5}]}, "supplements[0].dose_ug"),
        ({"supplements": [{"dose_ug": 0}]}, "supplements[0].dose_ug"),
        ({"supplements": [{"dose_ug": 5, "every_days": 0}]}, "supplements[0].every_days"),
        ({"supplements": [{"dose_ug": 5, "route": "nasal"}]}, "supplements[0].route"),
        (
            {"supplements": [{"dose_ug": 5, "route": "im", "form": "methylcobalamin"}]},
            "supplements[0]",
        ),
        ({"injections": [{"day": 3, "dose_ug": -1000}]}, "injections[0].dose_ug"),
        ({"injections": [{"day": 99, "dose_ug": 1000}]}, "injections[0].day"),
        ({"injections": [{"day": 1, "dose_ug": 1000, "form": "aspirin"}]}, "injections[0].form"),
        ({"intake": {"food_ug_per_day": -1}}, "intake.food_ug_per_day"),
        ({"intake": {"food_ug_per_day": 4, "meals_per_day": 0}}, "intake.meals_per_day"),
        ({"person": {"conditions": ["gastric_balloon"]}}, "person.conditions[0]"),
        ({"person": {"medications": ["unicorn"]}}, "person.medications[0].id"),
        ({"initial": {"stores_ug": -10}}, "initial.stores_ug"),
        ({"population": {"n": 0}}, "population.n"),
        ({"population": {"n": 10**9}}, "population.n"),
        ({"surprise": True}, "surprise"),
    ],
)
def test_bad_scenario(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as err:
        simulate({**OK, **change})
    assert err.value.field == field
    assert err.value.message


def test_days_are_required() -> None:
    with pytest.raises(InputError) as err:
        simulate({"intake": {"food_ug_per_day": 4}})
    assert err.value.field == "days"


def test_not_an_object() -> None:
    with pytest.raises(InputError):
        simulate([1, 2])
