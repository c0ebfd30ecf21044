"""Shared pieces of the care data files that are not decision tables: texts, citations and
intervals (read with ``cobalamin.datafiles.load_model``)."""

from __future__ import annotations

import calendar
import datetime as dt
import math

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cobalamin.knowledge.model import Text

__all__ = ["Bilingual", "Cited", "Interval", "Strict", "add_interval"]


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Bilingual(Strict):
    en: str = Field(min_length=1)
    nl: str = Field(min_length=1)

    def text(self) -> Text:
        return Text(self.en, self.nl)

    def get(self, lang: str) -> str:
        return self.nl if lang == "nl" else self.en


class Cited(Strict):
    """An entry with a ``source``: one bibliography id or a list of ids (``Knowledge.sources``
    checks that each exists)."""

    source: str | list[str] = Field(min_length=1)

    @property
    def source_ids(self) -> tuple[str, ...]:
        return (self.source,) if isinstance(self.source, str) else tuple(self.source)


class Interval(Strict):
    """A length of time in one unit: days, weeks or months (calendar months)."""

    days: float | None = Field(default=None, gt=0)
    weeks: float | None = Field(default=None, gt=0)
    months: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_unit(self) -> Interval:
        given = [v for v in (self.days, self.weeks, self.months) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of days, weeks or months")
        return self

    def describe(self, factor: float = 1.0) -> str:
        for unit, value in (("day", self.days), ("week", self.weeks), ("month", self.months)):
            if value is not None:
                amount = value / factor
                return f"{amount:g} {unit}{'' if amount == 1 else 's'}"
        raise AssertionError("unreachable")


def _add_months(start: dt.date, months: int) -> dt.date:
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)


def add_interval(start: dt.date, interval: Interval, times: float = 1.0) -> dt.date:
    """``start`` plus ``times`` intervals. Fractions of a month fall between the two whole months
    around them, in proportion to that month's days."""
    if interval.days is not None:
        return start + dt.timedelta(days=round(interval.days * times))
    if interval.weeks is not None:
        return start + dt.timedelta(weeks=interval.weeks * times)
    assert interval.months is not None
    months = interval.months * times
    whole = math.floor(months)
    low = _add_months(start, whole)
    if months == whole:
        return low
    high = _add_months(start, whole + 1)
    return low + dt.timedelta(days=round((high - low).days * (months - whole)))
