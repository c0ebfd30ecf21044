"""Is the treatment working? The sourced Hb criterion (``response_criteria.yaml``) applied to
a patient's stored results around the start of their latest plan."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from cobalamin.datafiles import load_model
from cobalamin.knowledge.care_data import Bilingual, Interval, Strict, add_interval
from cobalamin.knowledge.registry import Knowledge

__all__ = [
    "CRITERIA_FILE",
    "ResponseCheck",
    "ResponseCriteria",
    "load_criteria",
    "response_check",
]

CRITERIA_FILE = Path(__file__).with_name("response_criteria.yaml")


class HbRise(Strict):
    test: str
    after: Interval
    min_rise_fraction: float = Field(gt=0, lt=1)
    source: str
    statement: str
    applies_to: Bilingual


class InformationOnly(Strict):
    test: str
    note: Bilingual


class ResponseCriteria(Strict):
    hb_rise: HbRise
    information_only: tuple[InformationOnly, ...] = ()


def load_criteria(path: Path = CRITERIA_FILE) -> ResponseCriteria:
    return load_model(path, ResponseCriteria)


Status = Literal["met", "not_met", "waiting", "no_baseline", "no_plan"]


@dataclass(frozen=True)
class Reading:
    date: dt.date
    value: float
    unit: str | None


@dataclass(frozen=True)
class ResponseCheck:
    status: Status
    plan_start: dt.date | None
    due: dt.date | None  # when the follow-up value can first be taken
    baseline: Reading | None
    follow_up: Reading | None
    rise_fraction: float | None
    required_fraction: float
    source: str
    statement: str
    applies_to: str
    information: tuple[tuple[str, Reading | None, Reading | None, str], ...]

    def to_dict(self) -> dict[str, Any]:
        def reading(r: Reading | None) -> dict[str, Any] | None:
            return (
                None
                if r is None
                else {"date": r.date.isoformat(), "value": r.value, "unit": r.unit}
            )

        return {
            "status": self.status,
            "plan_start": None if self.plan_start is None else self.plan_start.isoformat(),
            "due": None if self.due is None else self.due.isoformat(),
            "baseline": reading(self.baseline),
            "follow_up": reading(self.follow_up),
            "rise_fraction": self.rise_fraction,
            "required_fraction": self.required_fraction,
            "source": self.source,
            "statement": self.statement,
            "applies_to": self.applies_to,
            "information": [
                {"test": t, "before": reading(b), "after": reading(a), "note": n}
                for t, b, a, n in self.information
            ],
        }


def _readings(record: dict[str, Any], test: str) -> list[Reading]:
    found = [
        Reading(dt.date.fromisoformat(s["sample_date"]), float(r["value"]), r["unit"])
        for s in record["samples"]
        for r in s["results"]
        if r["test"] == test and isinstance(r["value"], int | float)
    ]
    return sorted(found, key=lambda r: r.date)


def _before(readings: list[Reading], day: dt.date) -> Reading | None:
    earlier = [r for r in readings if r.date <= day]
    return earlier[-1] if earlier else None


def _after(readings: list[Reading], day: dt.date, *, first: bool) -> Reading | None:
    later = [r for r in readings if r.date >= day]
    if not later:
        return None
    return later[0] if first else later[-1]


def response_check(
    record: dict[str, Any], criteria: ResponseCriteria, knowledge: Knowledge, lang: str = "en"
) -> ResponseCheck:
    """The check for the patient's latest plan (``record`` as ``storage.records.patient_record``
    returns it)."""
    rule = criteria.hb_rise
    source = knowledge.sources.cite([rule.source])
    plans = sorted(record["plans"], key=lambda p: p["start"])
    start = dt.date.fromisoformat(plans[-1]["start"]) if plans else None
    hb = _readings(record, rule.test)
    baseline = follow = None
    rise = None
    due = None
    status: Status = "no_plan"
    if start is not None:
        due = add_interval(start, rule.after)
        baseline = _before(hb, start)
        follow = _after(hb, due, first=True)
        if baseline is None:
            status = "no_baseline"
        elif follow is None:
            status = "waiting"
        else:
            rise = (follow.value - baseline.value) / baseline.value
            status = "met" if rise >= rule.min_rise_fraction else "not_met"
    information = tuple(
        (
            item.test,
            None if start is None else _before(_readings(record, item.test), start),
            None
            if start is None
            else _after(_readings(record, item.test), start + dt.timedelta(days=1), first=False),
            item.note.get(lang),
        )
        for item in criteria.information_only
    )
    return ResponseCheck(
        status=status,
        plan_start=start,
        due=due,
        baseline=baseline,
        follow_up=follow,
        rise_fraction=rise,
        required_fraction=rule.min_rise_fraction,
        source=source,
        statement=rule.statement,
        applies_to=rule.applies_to.get(lang),
        information=information,
    )
