"""Follow-up after starting treatment as data (``data/followup.yaml``): review dates and the
advice on the response, per guideline pack. ``care.followup`` turns them into dates."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from cobalamin.knowledge.care_data import Bilingual, Cited, Interval, Strict

__all__ = [
    "FollowUpFile",
    "IrreversibleCauses",
    "Note",
    "PackFollowUp",
    "ResponseRule",
    "ReviewRule",
]


class ReviewRule(Cited):
    id: str
    after: Interval
    window_until: Interval | None = None
    applies_to: Literal[
        "all", "pregnant_or_lactating", "not_pregnant_or_lactating", "wish_to_conceive", "anaemic"
    ]
    what: Bilingual
    statement: str


class ResponseRule(Cited):
    id: str
    response: Literal["improved", "not_improved", "new_symptoms"]
    cause_addressed: bool | None = None
    advice: Bilingual
    statement: str


class Note(Cited):
    text: Bilingual
    statement: str
    applies_to: Literal["all", "pregnant_or_lactating", "not_anaemic"] = "all"


class IrreversibleCauses(Cited):
    """Causes after which treatment is for life: 'cause addressed' cannot be said of them."""

    conditions: list[str] = Field(min_length=1)  # vocabulary ids or group:<name>
    statement: str


class PackFollowUp(Strict):
    reviews: list[ReviewRule] = Field(default_factory=list)
    responses: dict[Literal["oral", "im", "any"], list[ResponseRule]] = Field(default_factory=dict)
    notes: list[Note] = Field(default_factory=list)


class FollowUpFile(Strict):
    irreversible: IrreversibleCauses
    packs: dict[str, PackFollowUp]
