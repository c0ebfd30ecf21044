"""Intake estimate: a day's meals -> ingested and absorbed B12 per meal and per day.

Meals closer together than the intrinsic-factor window (``if_window_hours``) share one window
(``cobalamin.absorption``); the absorbed amount is shared in proportion to each meal's free B12.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cobalamin.absorption import (
    Meal,
    MealResult,
    estimate,
    not_modelled_notes,
    parse_meals,
    person_modifier,
)
from cobalamin.errors import InputError
from cobalamin.knowledge.physiology import Modifier, Parameters, load_parameters
from cobalamin.knowledge.registry import Knowledge
from cobalamin.nutrition.foods import FOODS
from cobalamin.nutrition.reference import ReferenceIntake, advice_texts, reference_intake
from cobalamin.person import Person, parse_person

__all__ = ["Diary", "IntakeResult", "intake", "parse_diary"]


class Diary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    person: dict[str, Any] | None = None
    authority: str | None = None
    meals: tuple[Meal, ...] = Field(min_length=1)


def parse_diary(data: Any, knowledge: Knowledge) -> tuple[Person, tuple[Meal, ...], str | None]:
    if not isinstance(data, dict):
        raise InputError("diary", "must be a JSON object with person and meals")
    unknown = set(data) - set(Diary.model_fields)
    if unknown:
        raise InputError(sorted(unknown)[0], "unknown field", ", ".join(Diary.model_fields))
    person = parse_person(data.get("person"), knowledge.vocabulary)
    meals = parse_meals(data.get("meals"), "meals")
    authority = data.get("authority")
    if authority is not None and not isinstance(authority, str):
        raise InputError("authority", "must be a string")
    return person, meals, authority


@dataclass(frozen=True)
class IntakeResult:
    """The intake estimate of one diary; ``to_dict(lang)`` is the CLI's JSON."""

    person: Person
    meals: tuple[MealResult, ...]
    reference: ReferenceIntake
    advice: dict[str, list[str]]
    notes: dict[str, list[str]]

    @property
    def ingested_ug(self) -> float:
        return sum(m.ingested_ug for m in self.meals)

    @property
    def absorbed_ug(self) -> float:
        return sum(m.absorbed_ug for m in self.meals)

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "ingested_ug": round(self.ingested_ug, 3),
            "absorbed_ug": round(self.absorbed_ug, 3),
            "meals": [
                {
                    "time": m.time,
                    "ingested_ug": round(m.ingested_ug, 3),
                    "absorbed_ug": round(m.absorbed_ug, 3),
                    "items": [
                        {
                            "item": x.label,
                            "ingested_ug": round(x.ingested_ug, 3),
                            **({"note": x.note.get(lang)} if x.note else {}),
                        }
                        for x in m.items
                    ],
                }
                for m in self.meals
            ],
            "reference": self.reference.as_dict(),
            "advice": self.advice,
            "notes": self.notes.get(lang, self.notes["en"]),
        }


def _advice(
    person: Person,
    ingested: float,
    ref_value: float | None,
    authority_name: str,
    meal_results: list[MealResult],
    modifier: Modifier,
    params: Parameters,
) -> dict[str, list[str]]:
    texts = advice_texts()
    keys: list[str] = []
    fmt = {
        "ingested": f"{ingested:.1f}",
        "authority": authority_name,
        "reference": f"{ref_value:g}" if ref_value is not None else "-",
    }
    fmt_nl = {k: v if k == "authority" else v.replace(".", ",") for k, v in fmt.items()}
    if ref_value is None:
        keys.append("no_reference")
    elif ingested < ref_value:
        keys.append("below_reference")
    else:
        keys.append("meets_reference")
    if any(m.free_ug > params.if_half_saturation_ug for m in meal_results):
        keys.append("spread_meals")
    if person.diet == "vegan" or any(not x.counted for m in meal_results for x in m.items):
        keys.append("vegan")
    if modifier.s_if < 1 or modifier.food_release < 1:
        keys.append("malabsorption")
    keys.append("see_doctor")
    return {
        "en": [texts[k].en.format(**fmt) for k in keys],
        "nl": [texts[k].nl.format(**fmt_nl) for k in keys],
    }


def intake(
    diary: Any, knowledge: Knowledge, person: Any = None, *, authority: str | None = None
) -> IntakeResult:
    """The public intake estimate: a diary (docs/intake-and-model.md) -> :class:`IntakeResult`.

    ``diary`` is the JSON object ``{"person": ..., "meals": [...]}``; a ``person`` argument
    (dict or Person) overrides the diary's person.
    """
    p, meals, diary_authority = parse_diary(diary, knowledge)
    if isinstance(person, Person):
        p = person
    elif person is not None:
        p = parse_person(person, knowledge.vocabulary)
    params = load_parameters()
    results = estimate(meals, p, params, FOODS)
    ref = reference_intake(p, authority or diary_authority)
    ingested = sum(m.ingested_ug for m in results)
    modifier = person_modifier(p, params)
    return IntakeResult(
        person=p,
        meals=tuple(results),
        reference=ref,
        advice=_advice(p, ingested, ref.value_ug, ref.name, results, modifier, params),
        notes=not_modelled_notes(p, params),
    )
