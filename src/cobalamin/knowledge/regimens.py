"""Treatment regimens as data (``data/regimens.yaml``): loading course, maintenance options,
adjustments (pregnancy, lactation) and each one's source. ``care.treatment`` makes dated plans."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from cobalamin.knowledge.care_data import Bilingual, Cited, Interval, Strict

__all__ = [
    "Adjustment",
    "LoadingCourse",
    "Maintenance",
    "MaintenanceOption",
    "Regimen",
    "RegimenFile",
]

Form = Literal["hydroxocobalamin", "cyanocobalamin"]


class LoadingCourse(Strict):
    form: Form
    dose_ug: float = Field(gt=0)
    count: int | None = Field(default=None, ge=1)
    total_ug: float | None = Field(default=None, gt=0)
    open_ended: bool = False
    min_interval_days: int = Field(ge=1)
    statement: str

    @model_validator(mode="after")
    def _one_length(self) -> LoadingCourse:
        given = [self.count is not None, self.total_ug is not None, self.open_ended]
        if sum(given) != 1:
            raise ValueError("give exactly one of count, total_ug or open_ended: true")
        if self.total_ug is not None and self.total_ug % self.dose_ug:
            raise ValueError("total_ug must be a whole number of doses")
        return self

    def planned_count(self) -> int | None:
        if self.count is not None:
            return self.count
        if self.total_ug is not None:
            return int(self.total_ug // self.dose_ug)
        return None


class MaintenanceOption(Strict):
    form: Form
    dose_ug: float = Field(gt=0)
    every: Interval
    statement: str


class Maintenance(Strict):
    options: list[MaintenanceOption] = Field(min_length=1)


class Adjustment(Cited):
    applies_to: list[Literal["pregnant", "lactating"]] = Field(min_length=1)
    route: Literal["im", "oral"] | None = None  # the regimens it can change (None: any)
    maintenance_frequency_factor: float = Field(gt=0)
    statement: str
    text: Bilingual


class Regimen(Cited):
    title: Bilingual
    status: Literal["VERIFIED", "SECONDARY"]
    route: Literal["im", "oral"]
    loading: LoadingCourse | None = None
    maintenance: Maintenance
    adjustments: list[str] = Field(default_factory=list)
    followup: str | None = None
    note: Bilingual | None = None


class RegimenFile(Strict):
    adjustments: dict[str, Adjustment]
    regimens: dict[str, Regimen]

    @model_validator(mode="after")
    def _references(self) -> RegimenFile:
        for key, regimen in self.regimens.items():
            for name in regimen.adjustments:
                if name not in self.adjustments:
                    raise ValueError(f"regimens.{key}: unknown adjustment {name!r}")
        return self
