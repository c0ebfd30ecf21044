"""A treatment plan as an iCalendar file: one all-day event per dose and per review."""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar, Event

from cobalamin.care.treatment import Plan
from cobalamin.knowledge.texts import Texts

__all__ = ["plan_ics"]


def _event(uid: str, stamp: dt.datetime, day: dt.date, summary: str, description: str) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + dt.timedelta(days=1))
    event.add("summary", summary)
    event.add("description", description)
    return event


def plan_ics(plan: Plan, texts: Texts, lang: str) -> bytes:
    t = texts
    calendar = Calendar()
    calendar.add("prodid", "-//cobalamin//treatment plan//EN")
    calendar.add("version", "2.0")
    stamp = dt.datetime.combine(plan.start, dt.time(), tzinfo=dt.UTC)
    source = f"{t.get('label.source', lang)}: {plan.source}"
    loading_total = sum(1 for d in plan.doses if d.phase == "loading")
    for index, dose in enumerate(plan.doses):
        phase = t.get(f"plan.{dose.phase}", lang)
        number = f"{dose.number}/{loading_total}" if dose.phase == "loading" else str(dose.number)
        summary = t.get(
            "plan.ics_dose",
            lang,
            dose=f"{dose.dose_ug:g}",
            form=t.get(f"plan.form.{dose.form}", lang),
            route=t.get(f"plan.route.{dose.route}", lang),
            phase=f"{phase} {number}",
        )
        event = _event(
            f"{plan.regimen}-dose-{index + 1}-{dose.date.isoformat()}@cobalamin",
            stamp,
            dose.date,
            summary,
            f"{plan.title.get(lang)}\n{source}",
        )
        event.add("categories", ["B12", dose.phase])
        calendar.add_component(event)
    for index, review in enumerate(plan.reviews):
        event = _event(
            f"{plan.regimen}-review-{index + 1}@cobalamin",
            stamp,
            review.date,
            f"{t.get('plan.ics_review', lang)}: {review.what.get(lang)}",
            f"{t.get('label.source', lang)}: {review.source}",
        )
        event.add("categories", ["B12", "review"])
        calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical
