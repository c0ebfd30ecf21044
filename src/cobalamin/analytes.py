"""The analyte catalogue: test ids, LOINC codes, canonical units, molar masses, ranges.

The catalogue is data (``data/analytes.yaml``); this module only loads and validates it.
"""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from cobalamin._data import data_path, read_yaml
from cobalamin._errors import InputError, KnowledgeError

__all__ = ["Analyte", "LoincCode", "Range", "analyte", "analyte_for_loinc", "catalogue"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LoincCode(_Frozen):
    code: str
    unit_kind: Literal["molar", "mass", "presence", "volume"]
    name: str
    status: Literal["VERIFIED", "SECONDARY"]
    source: str


class Range(_Frozen):
    low: float
    high: float
    unit: str
    source: str

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self


class MolarMass(_Frozen):
    value: float
    source: str


class Analyte(_Frozen):
    id: str
    name: dict[str, str]
    kind: Literal["quantitative", "qualitative"]
    canonical_unit: str | None = None
    molar_mass: MolarMass | None = None
    example_units: tuple[str, ...] = ()
    loinc: tuple[LoincCode, ...] = ()
    soft_range: Range | None = None
    hard_range: Range | None = None
    values: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Analyte:
        if self.kind == "quantitative":
            if not self.canonical_unit or self.hard_range is None:
                raise ValueError("a quantitative test needs canonical_unit and hard_range")
            for rng in (self.soft_range, self.hard_range):
                if rng is not None and rng.unit != self.canonical_unit:
                    raise ValueError(f"range unit {rng.unit} is not {self.canonical_unit}")
        elif not self.values:
            raise ValueError("a qualitative test needs its allowed values")
        return self


@cache
def catalogue() -> dict[str, Analyte]:
    """Every analyte by test id, loaded once."""
    path = data_path("analytes.yaml")
    raw = read_yaml(path)
    result: dict[str, Analyte] = {}
    for test_id, entry in raw.items():
        try:
            result[test_id] = Analyte.model_validate({"id": test_id, **entry})
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            raise KnowledgeError(f"{path}: {test_id}.{loc}", first["msg"]) from None
    return result


def analyte(test_id: str, *, field: str = "test") -> Analyte:
    """The analyte of a test id; an unknown id is an input error listing the known ones."""
    found = catalogue().get(test_id)
    if found is None:
        raise InputError(field, f"unknown test {test_id!r}", ", ".join(catalogue()))
    return found


@cache
def _loinc_index() -> dict[str, str]:
    return {code.code: a.id for a in catalogue().values() for code in a.loinc}


def analyte_for_loinc(code: str) -> Analyte | None:
    """The analyte a LOINC code stands for, or None when the code is not in the catalogue."""
    test_id = _loinc_index().get(code.strip())
    return catalogue()[test_id] if test_id else None
