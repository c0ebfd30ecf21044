"""Unit conversion: the published pairs of clinical.md §9.1 and the Hb factor."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobalamin import UnitError, to_canonical

# clinical.md §9.1: input -> expected pmol/L (rounded), with the source of each pair.
PAIRS = [
    (180, "ng/L", 133), (350, "ng/L", 258), (200, "ng/L", 148),  # NICE NG239, BSH 2014
    (279, "pg/mL", 206), (966, "pg/mL", 713), (118, "pg/mL", 87), (438, "pg/mL", 323),
    (130, "pg/mL", 96), (656, "pg/mL", 484), (99, "pg/mL", 73), (526, "pg/mL", 388),  # perinatology.com
]  # fmt: skip


@pytest.mark.parametrize(("value", "unit", "expected"), PAIRS)
def test_published_b12_pairs(value: float, unit: str, expected: int) -> None:
    assert round(to_canonical("b12", value, unit)) == expected


def test_haemoglobin_dutch_mmol() -> None:
    # codes-and-units.md §2: 15.6 g/dL -> 9.68 mmol/L; 8.0 mmol/L -> 12.89 g/dL (IQTIG 0.6206)
    per_mmol = to_canonical("hb", 1, "mmol/L")
    assert round(to_canonical("hb", 15.6, "g/dL") / per_mmol, 2) == 9.68
    assert round(to_canonical("hb", 8.0, "mmol/L") / 10, 2) == 12.89


def test_molar_units_scale_exactly() -> None:
    assert to_canonical("mma", 450, "nmol/L") == pytest.approx(0.45)
    assert to_canonical("b12", 150, "pmol/l") == 150
    assert to_canonical("mma", 1, "µmol/L") == 1


@pytest.mark.parametrize(
    ("test", "unit"), [("b12", "fL"), ("b12", "foo"), ("mma", "g"), ("hb", "")]
)
def test_bad_units_name_the_field(test: str, unit: str) -> None:
    with pytest.raises(UnitError) as info:
        to_canonical(test, 1, unit)
    assert info.value.field == f"{test}.unit"


@given(st.floats(min_value=0, max_value=1e5, allow_nan=False))
def test_round_trip_ng_pmol(value: float) -> None:
    pmol = to_canonical("b12", value, "ng/L")
    assert pmol * to_canonical("b12", 1, "pmol/L") / to_canonical(
        "b12", 1, "ng/L"
    ) == pytest.approx(value)
