"""Reference intakes by authority and life stage (clinical.md s5, seed 002)."""

from __future__ import annotations

import pytest

from cobalamin.errors import InputError
from cobalamin.nutrition.reference import reference_intake
from cobalamin.person import Person


@pytest.mark.parametrize(
    ("authority", "person", "expected"),
    [
        ("efsa_2015", {"age": 40}, 4.0),
        ("efsa_2015", {"age": 30, "sex": "female", "pregnant": True}, 4.5),
        ("efsa_2015", {"age": 30, "sex": "female", "lactating": True}, 5.0),
        ("efsa_2015", {"age": 0.8}, 1.5),
        ("efsa_2015", {"age": 5}, None),  # unverified child bands left out on purpose
        ("iom_1998", {"age": 16}, 2.4),
        ("iom_1998", {"age": 6}, 1.2),
        ("iom_1998", {"age": 30, "pregnant": True}, 2.6),
        ("scf_1993", {"age": 40}, 1.4),
        ("gr_2003", {"age": 40}, 2.8),
        ("gr_2003", {"age": 30, "lactating": True}, 3.5),
        ("be_hgr_seed002", {"age": 40}, 1.4),
        ("be_hgr_seed002", {"age": 30, "pregnant": True}, 1.8),
        ("be_hgr_seed002", {"age": 30, "lactating": True}, 1.7),
        ("uk_hunt_2014", {"age": 40}, 1.5),
    ],
)
def test_values(authority: str, person: dict[str, object], expected: float | None) -> None:
    ref = reference_intake(Person.model_validate(person), authority)
    assert ref.value_ug == expected
    assert ref.source


def test_default_authority_and_unknown_age() -> None:
    ref = reference_intake(Person())
    assert ref.authority == "efsa_2015"
    assert ref.value_ug == 4.0


def test_unknown_authority() -> None:
    with pytest.raises(InputError) as err:
        reference_intake(Person(), "who")
    assert err.value.field == "authority"
