"""cB12: categories (Viapath / Fedosov cut-points) and withholding while constants are unverified."""

from __future__ import annotations

import math

import pytest

from cobalamin import cb12, default_knowledge

MARKERS = {"b12": 300.0, "holotc": 70.0, "mma": 0.2, "hcy": 10.0}


@pytest.mark.parametrize(
    ("value", "category"),
    [
        (-3.0, "probable_deficiency"),
        (-2.0, "possible_deficiency"),
        (-1.0, "low"),
        (0.0, "adequate"),
        (2.0, "elevated"),
    ],
)
def test_viapath_categories(value: float, category: str) -> None:
    assert default_knowledge().cb12.category_of(value) == category


def test_boundary_minus_half_is_not_deficient() -> None:
    # paper B abstract: deficiency is cB12 < -0.5 (VERIFIED)
    assert default_knowledge().cb12.category_of(-0.5) == "adequate"
    assert default_knowledge().cb12.category_of(-0.5000001) == "low"


def test_withheld_while_unverified() -> None:
    result = cb12(MARKERS, 40)
    assert result.value is None and not result.verified
    assert "not be verified" in result.to_dict()["note"]


def test_unverified_on_request_follows_the_data_file() -> None:
    result = cb12(MARKERS, 40, allow_unverified=True)
    age_term = 3.79 / (1 + (40 / 230) ** 2.6)  # the constants in data/cb12.yaml (UNVERIFIED)
    assert result.value == pytest.approx(math.log10(70 * 300 / (0.2 * 10)) - age_term)
    assert result.category == "adequate"


def test_needs_four_markers_and_age() -> None:
    result = cb12({"b12": 300.0, "mma": 0.2}, 40, allow_unverified=True)
    assert result.value is None
    assert "holotc" in result.to_dict()["note"]
