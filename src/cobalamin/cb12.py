"""Fedosov's combined indicator of B12 status (cB12), with constants from data/cb12.yaml.

Only the 4-marker form is implemented. While the data file marks any constant as unverified,
``compute`` returns no value (and says why) unless ``allow_unverified`` is set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

from cobalamin._data import data_path, read_yaml
from cobalamin._errors import InputError

__all__ = ["CB12Result", "category_of", "compute"]

MARKERS = ("b12", "holotc", "mma", "hcy")


@dataclass(frozen=True)
class CB12Result:
    value: float | None
    category: str | None
    markers: tuple[str, ...]
    verified: bool
    note: dict[str, str]

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "value": None if self.value is None else round(self.value, 2),
            "category": self.category,
            "markers": list(self.markers),
            "verified": self.verified,
            "note": self.note.get(lang, self.note.get("en", "")),
        }


@cache
def _constants() -> dict[str, Any]:
    data: dict[str, Any] = read_yaml(data_path("cb12.yaml"))
    return data


def category_of(value: float) -> str:
    """The cB12 category of a value (bands in data/cb12.yaml)."""
    for band in _constants()["categories"]["bands"]:
        if "below" in band and value < band["below"]:
            return str(band["category"])
        if "below_or_equal" in band and value <= band["below_or_equal"]:
            return str(band["category"])
        if "below" not in band and "below_or_equal" not in band:
            return str(band["category"])
    raise AssertionError("the last band has no bound")


def compute(
    markers: dict[str, float], age: float | None, *, allow_unverified: bool = False
) -> CB12Result:
    """cB12 from canonical marker values (B12, holoTC pmol/L; MMA, Hcy umol/L) and age."""
    data = _constants()
    present = tuple(m for m in MARKERS if markers.get(m) is not None)
    verified = data["status"] == "verified"
    if len(present) < 4 or age is None:
        missing = [m for m in MARKERS if m not in present] + ([] if age is not None else ["age"])
        text = (
            f"cB12 needs all four markers and age; missing: {', '.join(missing)} "
            "(the 3- and 2-marker forms are not verified)"
        )
        text_nl = (
            f"cB12 vraagt alle vier de markers en de leeftijd; ontbreekt: {', '.join(missing)} "
            "(de vormen met 3 en 2 markers zijn niet geverifieerd)"
        )
        return CB12Result(None, None, present, verified, {"en": text, "nl": text_nl})
    if not verified and not allow_unverified:
        return CB12Result(None, None, present, False, data["reason"])
    for marker in MARKERS:
        if markers[marker] <= 0:
            raise InputError(marker, "must be above 0 for cB12 (its logarithm is taken)")
    term = data["age_term"]
    age_term = term["numerator"] / (1 + (age / term["scale_years"]) ** term["exponent"])
    value = (
        math.log10((markers["holotc"] * markers["b12"]) / (markers["mma"] * markers["hcy"]))
        - age_term
    )
    note = {
        "en": "computed with unverified constants; not for clinical use",
        "nl": "berekend met niet-geverifieerde constanten; niet voor klinisch gebruik",
    }
    if verified:
        note = {"en": "", "nl": ""}
    return CB12Result(value, category_of(value), present, verified, note)
