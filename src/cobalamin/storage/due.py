"""What is due: the next injection of a plan and the follow-up tests not yet done.

cobalamin's own bookkeeping (no guideline says how to count): a patient's latest plan is the
one in force; the doses given that belong to it are those recorded with its id, or recorded
without a plan on or after its start by the same route; after n of them the (n+1)-th planned
dose is the next one due, on its planned date. A follow-up review counts as done once a sample
dated on or after the review date is stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cobalamin.storage.audit import Actor, record
from cobalamin.storage.models import Dose, Patient, Plan, Sample

__all__ = ["DueItem", "due_between", "next_injection", "open_reviews", "week_of"]


@dataclass(frozen=True)
class DueItem:
    patient_id: str
    kind: str  # injection | followup
    date: dt.date
    until: dt.date | None
    plan_id: str
    what: str
    source: str
    number: int | None = None  # the dose's number within the plan

    def overdue(self, today: dt.date) -> bool:
        return (self.until or self.date) < today

    def to_dict(self, today: dt.date) -> dict[str, Any]:
        return {
            "patient": self.patient_id,
            "kind": self.kind,
            "date": self.date.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
            "overdue": self.overdue(today),
            "plan_id": self.plan_id,
            "what": self.what,
            "source": self.source,
            "number": self.number,
        }


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """Monday to Sunday of the week ``day`` falls in."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def _belongs(dose: Any, plan: Any) -> bool:
    plan_id, start, route = plan
    given_on, dose_plan, dose_route = dose
    if dose_plan is not None:
        return bool(dose_plan == plan_id)
    return bool(given_on >= start and dose_route == route)


def next_injection(
    plan_id: str,
    start: dt.date,
    route: str,
    schedule: dict[str, Any],
    doses: Iterable[tuple[dt.date, str | None, str]],
    lang_source: str,
) -> DueItem | None:
    """The next planned injection of an IM plan, given (date, plan_id, route) of doses given."""
    if route != "im":
        return None
    given = sum(1 for d in doses if _belongs(d, (plan_id, start, route)))
    planned = schedule["doses"]
    if given >= len(planned):
        return None
    dose = planned[given]
    what = f"{dose['dose_ug']:g} µg {dose['form']} {dose['route'].upper()} ({dose['phase']})"
    return DueItem(
        patient_id="",
        kind="injection",
        date=dt.date.fromisoformat(dose["date"]),
        until=None,
        plan_id=plan_id,
        what=what,
        source=lang_source,
        number=given + 1,
    )


def open_reviews(
    plan_id: str, followup: dict[str, Any] | None, sample_dates: Sequence[dt.date]
) -> list[DueItem]:
    """The plan's follow-up reviews with no sample on or after their date."""
    if not followup:
        return []
    found = []
    for review in followup["reviews"]:
        day = dt.date.fromisoformat(review["date"])
        if any(s >= day for s in sample_dates):
            continue
        found.append(
            DueItem(
                patient_id="",
                kind="followup",
                date=day,
                until=None if review["until"] is None else dt.date.fromisoformat(review["until"]),
                plan_id=plan_id,
                what=review["what"],
                source=review["source"],
            )
        )
    return found


def due_between(
    session: Session, actor: Actor, end: dt.date, lang: str = "en"
) -> list[tuple[Patient, DueItem]]:
    """Injections and follow-up tests due on or before ``end`` (overdue ones included), each
    with its patient; every patient listed is a read and is audited."""
    plans = session.scalars(select(Plan).order_by(Plan.start_date, Plan.created_at)).all()
    latest: dict[str, Plan] = {}
    for plan in plans:
        latest[plan.patient_id] = plan
    if not latest:
        return []
    ids = list(latest)
    doses: dict[str, list[tuple[dt.date, str | None, str]]] = {}
    for dose in session.scalars(select(Dose).where(Dose.patient_id.in_(ids))):
        doses.setdefault(dose.patient_id, []).append((dose.given_on, dose.plan_id, dose.route))
    samples: dict[str, list[dt.date]] = {}
    for patient_id, day in session.execute(
        select(Sample.patient_id, Sample.sample_date).where(Sample.patient_id.in_(ids))
    ):
        samples.setdefault(patient_id, []).append(day)
    found: list[tuple[str, DueItem]] = []
    for patient_id, plan in latest.items():
        schedule = plan.schedule[lang]
        items = open_reviews(
            plan.id,
            None if plan.followup is None else plan.followup[lang],
            samples.get(patient_id, []),
        )
        injection = next_injection(
            plan.id,
            plan.start_date,
            plan.route,
            schedule,
            doses.get(patient_id, []),
            schedule["source"],
        )
        if injection is not None:
            items.append(injection)
        found += [(patient_id, item) for item in items if item.date <= end]
    patients = {
        p.id: p
        for p in session.scalars(select(Patient).where(Patient.id.in_({pid for pid, _ in found})))
    }
    for patient_id in sorted(patients):
        record(session, actor, "patient.due", patient_id)
    result = [(patients[pid], replace(item, patient_id=pid)) for pid, item in found]
    return sorted(result, key=lambda pair: (pair[1].date, pair[1].kind, pair[0].id))
