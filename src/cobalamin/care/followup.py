"""Follow-up after starting treatment: review dates and the decision flow on the response,
per guideline pack, from ``data/followup.yaml``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal

from cobalamin.assessment import citation_fields
from cobalamin.errors import InputError
from cobalamin.knowledge.care_data import Cited, add_interval
from cobalamin.knowledge.followup import FollowUpFile, Note, PackFollowUp
from cobalamin.knowledge.model import Text
from cobalamin.knowledge.registry import Knowledge

__all__ = [
    "RESPONSES",
    "FollowUp",
    "ReviewDate",
    "follow_up",
    "review_dates",
]

RESPONSES = ("improved", "not_improved", "new_symptoms")
Route = Literal["oral", "im"]


def _pack(data: FollowUpFile, pack_id: str) -> PackFollowUp:
    found = data.packs.get(pack_id)
    if found is None:
        raise InputError(
            "pack", f"no follow-up data for {pack_id!r}", ", ".join(sorted(data.packs))
        )
    return found


def _cited(knowledge: Knowledge, entry: Cited) -> tuple[str, tuple[str, ...]]:
    return knowledge.sources.cite(entry.source_ids), entry.source_ids


@dataclass(frozen=True)
class ReviewDate:
    date: dt.date
    until: dt.date | None
    rule: str
    what: Text
    source: str
    statement: str
    source_ids: tuple[str, ...] = ()

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
            "rule": self.rule,
            "what": self.what.get(lang),
            **citation_fields(self.source, self.source_ids),
        }


@dataclass(frozen=True)
class Advice:
    rule: str
    text: Text
    source: str
    statement: str
    source_ids: tuple[str, ...] = ()

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "rule": self.rule,
            "text": self.text.get(lang),
            **citation_fields(self.source, self.source_ids),
        }


@dataclass(frozen=True)
class FollowUp:
    pack: str
    start: dt.date
    reviews: tuple[ReviewDate, ...]
    advice: tuple[Advice, ...]  # for the given response; empty when none was given
    notes: tuple[Advice, ...]
    response: str | None = None
    route: str | None = None

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "pack": self.pack,
            "start": self.start.isoformat(),
            "route": self.route,
            "response": self.response,
            "reviews": [r.to_dict(lang) for r in self.reviews],
            "advice": [a.to_dict(lang) for a in self.advice],
            "notes": [n.to_dict(lang) for n in self.notes],
        }


def review_dates(
    knowledge: Knowledge,
    pack_id: str,
    start: dt.date,
    *,
    pregnant_or_lactating: bool = False,
    wish_to_conceive: bool = False,
    anaemic: bool | None = None,
) -> tuple[ReviewDate, ...]:
    """The guideline's review dates counted from the start of treatment. Reviews of the blood
    count are left out for a person known not to be anaemic (``anaemic=False``)."""
    data = knowledge.followup
    flags = {
        "all": True,
        "pregnant_or_lactating": pregnant_or_lactating,
        "not_pregnant_or_lactating": not pregnant_or_lactating,
        "wish_to_conceive": wish_to_conceive,
        "anaemic": anaemic is not False,
    }
    reviews = [
        ReviewDate(
            add_interval(start, r.after),
            None if r.window_until is None else add_interval(start, r.window_until),
            r.id,
            r.what.text(),
            knowledge.sources.cite(r.source_ids),
            r.statement,
            r.source_ids,
        )
        for r in _pack(data, pack_id).reviews
        if flags[r.applies_to]
    ]
    return tuple(sorted(reviews, key=lambda r: r.date))


def _irreversible(knowledge: Knowledge, conditions: Collection[str]) -> list[str]:
    lasting: set[str] = set()
    for item in knowledge.followup.irreversible.conditions:
        if item.startswith("group:"):
            lasting |= knowledge.vocabulary.group_members("conditions", item[6:])
        else:
            lasting.add(item)
    return sorted(c for c in conditions if c in lasting)


def _note_citation(knowledge: Knowledge, note: Note) -> tuple[str, str, tuple[str, ...]]:
    source, ids = _cited(knowledge, note)
    return source, note.statement, ids


def follow_up(
    pack_id: str,
    start: dt.date,
    knowledge: Knowledge,
    *,
    route: Route | None = None,
    response: str | None = None,
    cause_addressed: bool | None = None,
    pregnant_or_lactating: bool = False,
    wish_to_conceive: bool = False,
    anaemic: bool | None = None,
    conditions: Collection[str] = (),
) -> FollowUp:
    """Review dates plus, when a response is given, what the guideline says to do next.

    A cause named irreversible in ``data/followup.yaml`` (autoimmune gastritis, gastrectomy,
    ileal resection) cannot be 'addressed': NICE treats it for life."""
    data = knowledge.followup
    pack = _pack(data, pack_id)
    if cause_addressed and conditions:
        lasting = _irreversible(knowledge, conditions)
        if lasting:
            raise InputError(
                "cause_addressed",
                f"{', '.join(lasting)} is a lasting cause: treatment is for life "
                f"({knowledge.sources.cite(data.irreversible.source_ids)})",
                "leave out --cause-addressed",
            )
    if response is not None and response not in RESPONSES:
        raise InputError("response", f"unknown response {response!r}", ", ".join(RESPONSES))
    if route is not None and route not in ("oral", "im"):
        raise InputError("route", f"unknown route {route!r}", "oral, im")
    advice: list[Advice] = []
    if response is not None:
        routes: list[Literal["oral", "im", "any"]] = (
            [route, "any"] if route is not None else ["oral", "im", "any"]
        )
        for name in routes:
            for entry in pack.responses.get(name, []):
                if entry.response != response:
                    continue
                if entry.cause_addressed is not None and entry.cause_addressed != bool(
                    cause_addressed
                ):
                    continue
                source, ids = _cited(knowledge, entry)
                advice.append(Advice(entry.id, entry.advice.text(), source, entry.statement, ids))
                break  # first match per route
    shown = {
        "all": True,
        "pregnant_or_lactating": pregnant_or_lactating,
        "not_anaemic": anaemic is False,
    }
    notes = tuple(
        Advice(f"{pack_id}_note_{i + 1}", n.text.text(), *_note_citation(knowledge, n))
        for i, n in enumerate(pack.notes)
        if shown[n.applies_to]
    )
    return FollowUp(
        pack=pack_id,
        start=start,
        reviews=review_dates(
            knowledge,
            pack_id,
            start,
            pregnant_or_lactating=pregnant_or_lactating,
            wish_to_conceive=wish_to_conceive,
            anaemic=anaemic,
        ),
        advice=tuple(advice),
        notes=notes,
        response=response,
        route=route,
    )
