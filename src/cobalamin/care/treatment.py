"""Treatment regimens (``data/regimens.yaml``) turned into dated schedules: text, JSON, .ics.

A plan respects each regimen's minimum interval between loading doses; with
``skip_weekends`` an injection that falls on a Saturday or Sunday moves to the Monday after
(the next dose is then counted from the moved date, so the minimum interval still holds).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from icalendar import Calendar, Event
from pydantic import Field, model_validator

from cobalamin._errors import InputError
from cobalamin.care._data import Bilingual, DataSource, Interval, _Strict, add_interval, load_model
from cobalamin.care.followup import ReviewDate, followup_pack_ids, review_dates
from cobalamin.knowledge.model import Text

__all__ = ["Dose", "Plan", "plan", "regimen_ids"]

Form = Literal["hydroxocobalamin", "cyanocobalamin"]
_SATURDAY = 5  # date.weekday(): Monday is 0


class _Loading(_Strict):
    form: Form
    dose_ug: float = Field(gt=0)
    count: int | None = Field(default=None, ge=1)
    total_ug: float | None = Field(default=None, gt=0)
    open_ended: bool = False
    min_interval_days: int = Field(ge=1)
    statement: str

    @model_validator(mode="after")
    def _one_length(self) -> _Loading:
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


class _MaintenanceOption(_Strict):
    form: Form
    dose_ug: float = Field(gt=0)
    every: Interval
    statement: str


class _Maintenance(_Strict):
    options: list[_MaintenanceOption] = Field(min_length=1)


class _Adjustment(_Strict):
    applies_to: list[Literal["pregnant", "lactating"]] = Field(min_length=1)
    maintenance_frequency_factor: float = Field(gt=0)
    source: str
    statement: str
    text: Bilingual


class _Regimen(_Strict):
    title: Bilingual
    source: str
    also: list[str] = Field(default_factory=list)
    status: Literal["VERIFIED", "SECONDARY", "SEED"]
    route: Literal["im", "oral"]
    loading: _Loading | None = None
    maintenance: _Maintenance
    adjustments: list[str] = Field(default_factory=list)
    followup: str | None = None
    note: Bilingual | None = None


class _RegimenFile(_Strict):
    sources: dict[str, DataSource]
    adjustments: dict[str, _Adjustment]
    regimens: dict[str, _Regimen]

    @model_validator(mode="after")
    def _references(self) -> _RegimenFile:
        for key, adjustment in self.adjustments.items():
            if adjustment.source not in self.sources:
                raise ValueError(f"adjustments.{key}: unknown source {adjustment.source!r}")
        for key, regimen in self.regimens.items():
            for source in (regimen.source, *regimen.also):
                if source not in self.sources:
                    raise ValueError(f"regimens.{key}: unknown source {source!r}")
            for name in regimen.adjustments:
                if name not in self.adjustments:
                    raise ValueError(f"regimens.{key}: unknown adjustment {name!r}")
        return self


@cache
def _file() -> _RegimenFile:
    data = load_model("regimens.yaml", _RegimenFile)
    for key, regimen in data.regimens.items():
        if regimen.followup is not None and regimen.followup not in followup_pack_ids():
            from cobalamin._errors import KnowledgeError

            raise KnowledgeError(
                f"regimens.yaml: regimens.{key}.followup",
                f"no follow-up data for {regimen.followup!r}",
            )
    return data


def regimen_ids() -> list[str]:
    """Ids of every regimen in ``data/regimens.yaml``."""
    return sorted(_file().regimens)


@dataclass(frozen=True)
class Dose:
    date: dt.date
    dose_ug: float
    route: str
    form: str
    phase: Literal["loading", "maintenance"]
    number: int  # 1-based within its phase

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "dose_ug": self.dose_ug,
            "route": self.route,
            "form": self.form,
            "phase": self.phase,
        }


@dataclass(frozen=True)
class Plan:
    regimen: str
    title: Text
    source: str
    status: str
    start: dt.date
    until: dt.date
    doses: tuple[Dose, ...]
    reviews: tuple[ReviewDate, ...]
    adjustments: tuple[Text, ...]
    notes: tuple[Text, ...]
    loading_statement: str | None
    maintenance_statement: str

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "regimen": self.regimen,
            "title": self.title.get(lang),
            "source": self.source,
            "status": self.status,
            "start": self.start.isoformat(),
            "until": self.until.isoformat(),
            "doses": [d.to_dict() for d in self.doses],
            "reviews": [r.to_dict(lang) for r in self.reviews],
            "adjustments": [a.get(lang) for a in self.adjustments],
            "notes": [n.get(lang) for n in self.notes],
        }

    def to_text(self, lang: str = "en") -> str:
        route = {"im": "IM", "oral": "oral"}
        loading_total = sum(1 for d in self.doses if d.phase == "loading")
        lines = [self.title.get(lang), f"Source: {self.source}", ""]
        for dose in self.doses:
            label = (
                f"loading {dose.number}/{loading_total}"
                if dose.phase == "loading"
                else f"maintenance {dose.number}"
            )
            lines.append(
                f"{dose.date.isoformat()} {dose.date.strftime('%a')}  {label:<16} "
                f"{dose.dose_ug:g} ug {dose.form} {route[dose.route]}"
            )
        if self.reviews:
            lines += ["", "Reviews:"]
            for review in self.reviews:
                until = f" to {review.until.isoformat()}" if review.until else ""
                lines.append(f"{review.date.isoformat()}{until}  {review.what.get(lang)}")
                lines.append(f"    source: {review.source}")
        for extra in (*self.adjustments, *self.notes):
            lines.append(f"Note: {extra.get(lang)}")
        return "\n".join(lines)

    def to_ics(self, lang: str = "en") -> bytes:
        """An iCalendar file: one all-day event per dose and per review."""
        calendar = Calendar()
        calendar.add("prodid", "-//cobalamin//treatment plan//EN")
        calendar.add("version", "2.0")
        stamp = dt.datetime.combine(self.start, dt.time(), tzinfo=dt.UTC)
        loading_total = sum(1 for d in self.doses if d.phase == "loading")
        for index, dose in enumerate(self.doses):
            event = Event()
            event.add("uid", f"{self.regimen}-dose-{index + 1}-{dose.date.isoformat()}@cobalamin")
            event.add("dtstamp", stamp)
            event.add("dtstart", dose.date)
            event.add("dtend", dose.date + dt.timedelta(days=1))
            phase = (
                f"loading {dose.number}/{loading_total}"
                if dose.phase == "loading"
                else f"maintenance {dose.number}"
            )
            event.add(
                "summary",
                f"Vitamin B12 {dose.dose_ug:g} ug {dose.form} {dose.route.upper()} ({phase})",
            )
            event.add("description", f"{self.title.get(lang)}\nSource: {self.source}")
            event.add("categories", ["B12", dose.phase])
            calendar.add_component(event)
        for index, review in enumerate(self.reviews):
            event = Event()
            event.add("uid", f"{self.regimen}-review-{index + 1}@cobalamin")
            event.add("dtstamp", stamp)
            event.add("dtstart", review.date)
            event.add("dtend", review.date + dt.timedelta(days=1))
            event.add("summary", f"B12 review: {review.what.get(lang)}")
            event.add("description", f"Source: {review.source}")
            event.add("categories", ["B12", "review"])
            calendar.add_component(event)
        ical: bytes = calendar.to_ical()
        return ical


def _weekday(date: dt.date, skip_weekends: bool) -> dt.date:
    if skip_weekends and date.weekday() >= _SATURDAY:
        return date + dt.timedelta(days=7 - date.weekday())
    return date


def _parse_date(value: dt.date | str, field: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(field, f"{value!r} is not a date", "YYYY-MM-DD") from None


def plan(
    regimen_id: str,
    start: dt.date | str,
    *,
    skip_weekends: bool = False,
    pregnant: bool = False,
    lactating: bool = False,
    wish_to_conceive: bool = False,
    until: dt.date | str | None = None,
    months: int = 12,
    maintenance_form: str | None = None,
    loading_doses: int | None = None,
) -> Plan:
    """The dated schedule of a regimen from ``start`` up to ``until`` (default ``months``
    calendar months after the start: a display window, not a treatment length)."""
    data = _file()
    regimen = data.regimens.get(regimen_id)
    if regimen is None:
        raise InputError("regimen", f"unknown regimen {regimen_id!r}", ", ".join(regimen_ids()))
    first = _parse_date(start, "start")
    if months < 1:
        raise InputError("months", "must be at least 1", "a whole number of months, 1 or more")
    end = (
        _parse_date(until, "until")
        if until is not None
        else add_interval(first, Interval(months=months))
    )
    if end <= first:
        raise InputError("until", "must be after the start date")
    options = regimen.maintenance.options
    if maintenance_form is None:
        option = options[0]
    else:
        matching = [o for o in options if o.form == maintenance_form]
        if not matching:
            raise InputError(
                "maintenance_form",
                f"{regimen_id} has no {maintenance_form!r} maintenance",
                ", ".join(o.form for o in options),
            )
        option = matching[0]
    shift = skip_weekends and regimen.route == "im"
    doses: list[Dose] = []
    notes: list[Text] = []
    loading = regimen.loading
    if loading is not None:
        count = loading.planned_count()
        if count is None:
            if loading_doses is None:
                raise InputError(
                    "loading_doses",
                    f"{regimen_id} loads {loading.statement!r}: say how many loading doses "
                    "to schedule",
                    "a whole number of doses, 1 or more",
                )
            count = loading_doses
        elif loading_doses is not None and loading_doses != count:
            raise InputError(
                "loading_doses",
                f"{regimen_id} has a fixed loading course of {count} doses",
                f"{count}, or leave it out",
            )
        if count < 1:
            raise InputError("loading_doses", "must be at least 1", "a whole number, 1 or more")
        date = _weekday(first, shift)
        for number in range(1, count + 1):
            doses.append(
                Dose(date, loading.dose_ug, regimen.route, loading.form, "loading", number)
            )
            date = _weekday(date + dt.timedelta(days=loading.min_interval_days), shift)
    factor = 1.0
    adjustments: list[Text] = []
    for name in regimen.adjustments:
        adjustment = data.adjustments[name]
        if ("pregnant" in adjustment.applies_to and pregnant) or (
            "lactating" in adjustment.applies_to and lactating
        ):
            factor *= adjustment.maintenance_frequency_factor
            adjustments.append(adjustment.text.text())
    if doses:
        anchor, k = doses[-1].date, 1
    else:
        anchor, k = first, 0
    number = 0
    while True:
        date = _weekday(add_interval(anchor, option.every, k / factor), shift)
        if date > end:
            break
        if not doses or date > doses[-1].date:
            number += 1
            doses.append(
                Dose(date, option.dose_ug, regimen.route, option.form, "maintenance", number)
            )
        k += 1
    if skip_weekends and regimen.route != "im":
        notes.append(
            Text(
                "Weekends are not skipped for oral treatment.",
                "Weekenden worden bij orale behandeling niet overgeslagen.",
            )
        )
    if regimen.note is not None:
        notes.append(regimen.note.text())
    reviews: tuple[ReviewDate, ...] = ()
    if regimen.followup is not None:
        reviews = review_dates(
            regimen.followup,
            first,
            pregnant_or_lactating=pregnant or lactating,
            wish_to_conceive=wish_to_conceive,
        )
    sources = "; ".join(data.sources[key].describe(key) for key in (regimen.source, *regimen.also))
    return Plan(
        regimen=regimen_id,
        title=regimen.title.text(),
        source=sources,
        status=regimen.status,
        start=first,
        until=end,
        doses=tuple(doses),
        reviews=reviews,
        adjustments=tuple(adjustments),
        notes=tuple(notes),
        loading_statement=None if loading is None else loading.statement,
        maintenance_statement=option.statement,
    )
