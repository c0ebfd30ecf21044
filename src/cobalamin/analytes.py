"""The analyte catalogue: test ids, LOINC codes, canonical units, molar masses, ranges.

The catalogue is data (``data/analytes.yaml``); this module only validates it. It is loaded
once per ``Knowledge`` (``cobalamin.knowledge.registry``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from cobalamin.datafiles import read_yaml_document
from cobalamin.errors import InputError

__all__ = ["Analyte", "AnalyteCatalogue", "LoincCode", "Range"]


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


class AnalyteCatalogue(Mapping[str, Analyte]):
    """Every analyte by test id (``data/analytes.yaml``), with lookups by LOINC code."""

    def __init__(self, items: Mapping[str, Analyte]) -> None:
        self._items = dict(items)
        self._by_loinc = {code.code: a.id for a in self._items.values() for code in a.loinc}

    @classmethod
    def load(cls, path: Path) -> AnalyteCatalogue:
        document = read_yaml_document(path)
        items: dict[str, Analyte] = {}
        for test_id, entry in (document.data or {}).items():
            try:
                items[test_id] = Analyte.model_validate({"id": test_id, **entry})
            except ValidationError as exc:
                first = exc.errors(include_url=False)[0]
                loc = ".".join(str(p) for p in first["loc"])
                raise document.error(f"{test_id}.{loc}", first["msg"]) from None
        return cls(items)

    def __getitem__(self, test_id: str) -> Analyte:
        return self._items[test_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def analyte(self, test_id: str, *, field: str = "test") -> Analyte:
        """The analyte of a test id; an unknown id is an input error listing the known ones."""
        found = self._items.get(test_id)
        if found is None:
            raise InputError(field, f"unknown test {test_id!r}", ", ".join(self._items))
        return found

    def for_loinc(self, code: str) -> Analyte | None:
        """The analyte a LOINC code stands for, or None when the code is not in the catalogue."""
        test_id = self._by_loinc.get(code.strip())
        return self._items[test_id] if test_id else None
