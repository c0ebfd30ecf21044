"""Follow-up after starting treatment as data (``data/followup.yaml``): review dates and the
advice on the response, per guideline pack. ``care.followup`` turns them into dates."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from cobalamin.knowledge.care_data import Bilingual, DataSource, Interval, Strict

__all__ = ["FollowUpFile", "Note", "PackFollowUp", "ResponseRule", "ReviewRule"]


class ReviewRule(Strict):
    id: str
    after: Interval
    window_until: Interval | None = None
    applies_to: Literal[
        "all", "pregnant_or_lactating", "not_pregnant_or_lactating", "wish_to_conceive"
    ]
    what: Bilingual
    source: str
    statement: str


class ResponseRule(Strict):
    id: str
    response: Literal["improved", "not_improved", "new_symptoms"]
    cause_addressed: bool | None = None
    advice: Bilingual
    source: str
    statement: str


class Note(Strict):
    text: Bilingual
    source: str
    statement: str


class PackFollowUp(Strict):
    reviews: list[ReviewRule] = Field(default_factory=list)
    responses: dict[Literal["oral", "im", "any"], list[ResponseRule]] = Field(default_factory=dict)
    notes: list[Note] = Field(default_factory=list)


class FollowUpFile(Strict):
    sources: dict[str, DataSource]
    packs: dict[str, PackFollowUp]

    @model_validator(mode="after")
    def _sources_known(self) -> FollowUpFile:
        for pack_id, pack in self.packs.items():
            items: list[ReviewRule | ResponseRule | Note] = [*pack.reviews, *pack.notes]
            for entries in pack.responses.values():
                items.extend(entries)
            for item in items:
                if item.source not in self.sources:
                    raise ValueError(f"packs.{pack_id}: unknown source {item.source!r}")
        return self
