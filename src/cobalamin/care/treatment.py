"""Treatment regimens (``data/regimens.yaml``) turned into dated schedules: text, JSON, .ics.

A plan respects each regimen's minimum interval between loading doses; with
``skip_weekends`` an injection that falls on a Saturday or Sunday moves to the Monday after
(the next dose is then counted from the moved date, so the minimum interval still holds).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from cobalamin.assessment import citation_fields
from cobalamin.care.followup import ReviewDate, review_dates
from cobalamin.errors import InputError
from cobalamin.knowledge.care_data import Interval, add_interval
from cobalamin.knowledge.model import Text
from cobalamin.knowledge.registry import Knowledge

__all__ = ["Dose", "Plan", "parse_date", "plan"]

_SATURDAY = 5  # date.weekday(): Monday is 0


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
    source_ids: tuple[str, ...] = ()

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "regimen": self.regimen,
            "title": self.title.get(lang),
            **citation_fields(self.source, self.source_ids),
            "status": self.status,
            "start": self.start.isoformat(),
            "until": self.until.isoformat(),
            "doses": [d.to_dict() for d in self.doses],
            "reviews": [r.to_dict(lang) for r in self.reviews],
            "adjustments": [a.get(lang) for a in self.adjustments],
            "notes": [n.get(lang) for n in self.notes],
        }


def _weekday(date: dt.date, skip_weekends: bool) -> dt.date:
    if skip_weekends and date.weekday() >= _SATURDAY:
        return date + dt.timedelta(days=7 - date.weekday())
    return date


def parse_date(value: dt.date | str, field: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(field, f"{value!r} is not a date", "YYYY-MM-DD") from None


def plan(
    regimen_id: str,
    start: dt.date | str,
    knowledge: Knowledge,
    *,
    skip_weekends: bool = False,
    pregnant: bool = False,
    lactating: bool = False,
    wish_to_conceive: bool = False,
    until: dt.date | str | None = None,
    months: int = 12,
    maintenance_form: str | None = None,
    loading_doses: int | None = None,
    adjust: Sequence[str] = (),
    followup_pack: str | None = None,
) -> Plan:
    """The dated schedule of a regimen from ``start`` up to ``until`` (default ``months``
    calendar months after the start: a display window, not a treatment length).

    ``adjust`` names adjustments to apply although the regimen's source does not (such as the
    patient association's doubling of maintenance in pregnancy); ``followup_pack`` takes the
    review dates from another guideline than the regimen's own."""
    data = knowledge.regimens
    regimen = data.regimens.get(regimen_id)
    if regimen is None:
        raise InputError("regimen", f"unknown regimen {regimen_id!r}", ", ".join(data.regimens))
    first = parse_date(start, "start")
    if months < 1:
        raise InputError("months", "must be at least 1", "a whole number of months, 1 or more")
    end = (
        parse_date(until, "until")
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
    for name in adjust:
        if name not in data.adjustments:
            raise InputError("adjust", f"unknown adjustment {name!r}", ", ".join(data.adjustments))
        wanted = data.adjustments[name]
        if wanted.route is not None and wanted.route != regimen.route:
            raise InputError("adjust", f"{name} changes {wanted.route} regimens only")
    for name in dict.fromkeys((*regimen.adjustments, *adjust)):
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
        notes.append(knowledge.texts.text("plan.oral_weekends_not_skipped"))
    if regimen.note is not None:
        notes.append(regimen.note.text())
    reviews: tuple[ReviewDate, ...] = ()
    review_pack = followup_pack or regimen.followup
    if review_pack is not None:
        reviews = review_dates(
            knowledge,
            review_pack,
            first,
            pregnant_or_lactating=pregnant or lactating,
            wish_to_conceive=wish_to_conceive,
        )
    return Plan(
        regimen=regimen_id,
        title=regimen.title.text(),
        source=knowledge.sources.cite(regimen.source_ids),
        status=regimen.status,
        source_ids=regimen.source_ids,
        start=first,
        until=end,
        doses=tuple(doses),
        reviews=reviews,
        adjustments=tuple(adjustments),
        notes=tuple(notes),
        loading_statement=None if loading is None else loading.statement,
        maintenance_statement=option.statement,
    )
