"""The data ``cobalamin trend`` reads: biological variation (``data/biological_variation.yaml``:
within-subject CVs with their sources, and the z of the reference change value) and how many
decimals each test is shown with (``data/trend.yaml``)."""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, model_validator

__all__ = ["BiologicalVariation", "TrendDisplay"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BVSource(_Frozen):
    citation: str
    url: str
    read: str


class ZValue(_Frozen):
    value: float
    meaning: str
    source: str


class TestVariation(_Frozen):
    cvi: float
    ci: tuple[float, float]
    source: str
    statement: str


class BiologicalVariation(_Frozen):
    sources: dict[str, BVSource]
    z: ZValue
    tests: dict[str, TestVariation]

    @model_validator(mode="after")
    def _cited(self) -> BiologicalVariation:
        cited = {"z": self.z.source} | {name: t.source for name, t in self.tests.items()}
        for name, source in cited.items():
            if source not in self.sources:
                raise ValueError(f"{name}: unknown source {source!r}")
        return self

    def rcv(self, test: str, cva: float | None) -> float | None:
        """The reference change value (%) of a test: z * sqrt(2) * sqrt(CVa^2 + CVi^2); None
        without a CVi for the test or a CVa from the laboratory."""
        found = self.tests.get(test)
        if found is None or cva is None:
            return None
        return self.z.value * math.sqrt(2) * math.sqrt(cva**2 + found.cvi**2)

    def citation(self, test: str) -> str | None:
        found = self.tests.get(test)
        return None if found is None else self.sources[found.source].citation


class TrendDisplay(_Frozen):
    decimals: dict[str, int]
