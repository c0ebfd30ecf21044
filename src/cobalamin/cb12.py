"""Fedosov's combined indicator of B12 status (cB12), with constants from data/cb12.yaml.

Only the 4-marker form is implemented. While the data file marks any constant as unverified,
``compute`` returns no value (and says why) unless ``allow_unverified`` is set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from cobalamin.errors import InputError
from cobalamin.knowledge.cb12_constants import CB12Constants

__all__ = ["MARKERS", "CB12Result", "compute"]

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


def compute(
    markers: dict[str, float],
    age: float | None,
    constants: CB12Constants,
    *,
    allow_unverified: bool = False,
) -> CB12Result:
    """cB12 from canonical marker values (B12, holoTC pmol/L; MMA, Hcy umol/L) and age."""
    present = tuple(m for m in MARKERS if markers.get(m) is not None)
    verified = constants.verified
    if len(present) < 4 or age is None:
        missing = [m for m in MARKERS if m not in present] + ([] if age is not None else ["age"])
        gone = ", ".join(missing)
        texts = constants.texts.missing
        note = {"en": texts.en.format(missing=gone), "nl": texts.nl.format(missing=gone)}
        return CB12Result(None, None, present, verified, note)
    if not verified and not allow_unverified:
        reason = {"en": constants.reason.en, "nl": constants.reason.nl}
        return CB12Result(None, None, present, False, reason)
    for marker in MARKERS:
        if markers[marker] <= 0:
            raise InputError(marker, "must be above 0 for cB12 (its logarithm is taken)")
    value = math.log10(
        (markers["holotc"] * markers["b12"]) / (markers["mma"] * markers["hcy"])
    ) - constants.age_term_of(age)
    unverified = constants.texts.unverified
    note = {"en": "", "nl": ""} if verified else {"en": unverified.en, "nl": unverified.nl}
    return CB12Result(value, constants.category_of(value), present, verified, note)
