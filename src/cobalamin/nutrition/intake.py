"""Intake estimate: a day's meals -> ingested and absorbed B12 per meal and per day.

Meals closer together than the intrinsic-factor window (``if_window_hours``) share one window:
their free B12 is summed before the saturation is applied, and the absorbed amount is shared
in proportion to each meal's free B12.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from cobalamin.defaults import default_knowledge  # TEMPORARY until knowledge is passed in
from cobalamin.errors import InputError
from cobalamin.nutrition.foods import Food, find_food, food_table, midpoint
from cobalamin.nutrition.reference import advice_texts, reference_intake
from cobalamin.person import Person, parse_person
from cobalamin.physiology.absorption import absorb, combined_modifier
from cobalamin.physiology.parameters import Modifier, Parameters, load_parameters
from cobalamin.validation import input_error_from

__all__ = ["Diary", "Item", "Meal", "MealResult", "estimate", "intake", "parse_diary"]

MAX_UG = 100_000.0  # input sanity bound (100 mg in one item), not a clinical number


class Item(BaseModel):
    """One item of a meal: a food with an amount, or a plain microgram amount."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    food: str | None = None
    amount_g: float | None = Field(default=None, gt=0, le=5000)
    portions: float | None = Field(default=None, gt=0, le=100)
    cooked: bool = False
    b12_ug: float | None = Field(default=None, ge=0, le=MAX_UG)
    form: Literal["crystalline", "food"] = "food"

    @field_validator("food")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be empty")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Item:
        if (self.food is None) == (self.b12_ug is None):
            raise ValueError("give either food (with amount_g or portions) or b12_ug")
        if self.food is not None and self.amount_g is not None and self.portions is not None:
            raise ValueError("give amount_g or portions, not both")
        return self


class Meal(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    time: str = Field(pattern=r"^([01]?\d|2[0-3]):[0-5]\d$")
    items: tuple[Item, ...] = Field(min_length=1)

    @property
    def hours(self) -> float:
        h, m = self.time.split(":")
        return int(h) + int(m) / 60


class Diary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    person: dict[str, Any] | None = None
    authority: str | None = None
    meals: tuple[Meal, ...] = Field(min_length=1)


def parse_meals(data: Any, field: str) -> tuple[Meal, ...]:
    """Validated meals from JSON-like data (used by the diary and by store-model scenarios)."""
    if not isinstance(data, list) or not data:
        raise InputError(field, "must be a non-empty list of meals")
    out = []
    for i, meal in enumerate(data):
        try:
            out.append(Meal.model_validate(meal))
        except ValidationError as exc:
            raise input_error_from(exc, f"{field}[{i}]") from None
    return tuple(out)


def parse_diary(data: Any) -> tuple[Person, tuple[Meal, ...], str | None]:
    if not isinstance(data, dict):
        raise InputError("diary", "must be a JSON object with person and meals")
    unknown = set(data) - set(Diary.model_fields)
    if unknown:
        raise InputError(sorted(unknown)[0], "unknown field", ", ".join(Diary.model_fields))
    person = parse_person(data.get("person"), default_knowledge().vocabulary)
    meals = parse_meals(data.get("meals"), "meals")
    authority = data.get("authority")
    if authority is not None and not isinstance(authority, str):
        raise InputError("authority", "must be a string")
    return person, meals, authority


@dataclass(frozen=True)
class ItemResult:
    label: str
    ingested_ug: float
    free_ug: float  # available to absorption after release from food
    crystalline: bool
    note: str | None = None


@dataclass(frozen=True)
class MealResult:
    time: str
    hours: float
    items: tuple[ItemResult, ...]
    absorbed_ug: float

    @property
    def ingested_ug(self) -> float:
        return sum(i.ingested_ug for i in self.items)

    @property
    def free_ug(self) -> float:
        return sum(i.free_ug for i in self.items)


def person_modifier(person: Person, params: Parameters) -> Modifier:
    return combined_modifier((*person.conditions, *person.medication_ids), params)


def release_factor(food: Food, params: Parameters) -> float:
    """Share of a food's B12 released for absorption relative to the dietary reference."""
    if food.form == "crystalline" or food.bioavailability is None:
        return 1.0
    return min(1.0, midpoint(food.bioavailability.value) / params.dietary_bioavailability_reference)


def _item(item: Item, field: str, modifier: Modifier, params: Parameters) -> ItemResult:
    if item.b12_ug is not None:
        crystalline = item.form == "crystalline"
        free = item.b12_ug if crystalline else item.b12_ug * modifier.food_release
        label = f"{item.b12_ug:g} µg B12 ({item.form})"
        return ItemResult(label, item.b12_ug, free, crystalline)
    assert item.food is not None
    table = food_table()
    food = find_food(item.food, f"{field}.food")
    value = table.preferred_value(food)
    if item.amount_g is not None:
        amount = item.amount_g / food.portion_g
    else:
        amount = item.portions if item.portions is not None else 1.0
    ug = midpoint(value.ug) * amount
    note = None
    if item.cooked and value.state == "raw" and food.cooking_loss:
        loss = table.cooking_losses[food.cooking_loss]
        if loss.loss is not None:
            ug *= 1 - midpoint(loss.loss)
            note = f"cooking loss {midpoint(loss.loss):.0%} ({food.cooking_loss})"
    label = f"{food.en} ({value.source})"
    if not food.counted:
        return ItemResult(
            label,
            0.0,
            0.0,
            False,
            f"{ug:.2g} µg B12-like compounds not counted: plant B12 is mostly inactive (seed 002)",
        )
    if food.form == "crystalline":
        return ItemResult(label, ug, ug, True, note)
    free = ug * release_factor(food, params) * modifier.food_release
    return ItemResult(label, ug, free, False, note)


def estimate(
    meals: tuple[Meal, ...], person: Person, params: Parameters | None = None
) -> list[MealResult]:
    """Ingested, released and absorbed B12 per meal (pure: no I/O)."""
    params = params or load_parameters()
    modifier = person_modifier(person, params)
    order = sorted(range(len(meals)), key=lambda i: meals[i].hours)
    items = {
        i: tuple(
            _item(it, f"meals[{i}].items[{j}]", modifier, params)
            for j, it in enumerate(meals[i].items)
        )
        for i in order
    }
    # group meals into intrinsic-factor windows
    windows: list[list[int]] = []
    for i in order:
        if windows and meals[i].hours - meals[windows[-1][0]].hours < params.if_window_hours:
            windows[-1].append(i)
        else:
            windows.append([i])
    results: dict[int, MealResult] = {}
    for window in windows:
        free = sum(sum(x.free_ug for x in items[i]) for i in window)
        absorbed = absorb(free, params, s_if=modifier.s_if)
        for i in window:
            own = sum(x.free_ug for x in items[i])
            share = absorbed * own / free if free > 0 else 0.0
            results[i] = MealResult(meals[i].time, meals[i].hours, items[i], share)
    return [results[i] for i in order]


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
    if person.diet == "vegan" or any(
        x.note and "not counted" in x.note for m in meal_results for x in m.items
    ):
        keys.append("vegan")
    if modifier.s_if < 1 or modifier.food_release < 1:
        keys.append("malabsorption")
    keys.append("see_doctor")
    return {
        "en": [texts[k].en.format(**fmt) for k in keys],
        "nl": [texts[k].nl.format(**fmt_nl) for k in keys],
    }


def intake(diary: Any, person: Any = None, *, authority: str | None = None) -> dict[str, Any]:
    """The public intake estimate: a diary (DESIGN.md) -> JSON-ready result.

    ``diary`` is the JSON object ``{"person": ..., "meals": [...]}``; a ``person`` argument
    (dict or Person) overrides the diary's person.
    """
    p, meals, diary_authority = parse_diary(diary)
    if isinstance(person, Person):
        p = person
    elif person is not None:
        p = parse_person(person, default_knowledge().vocabulary)
    params = load_parameters()
    results = estimate(meals, p, params)
    ref = reference_intake(p, authority or diary_authority)
    ingested = sum(m.ingested_ug for m in results)
    absorbed = sum(m.absorbed_ug for m in results)
    modifier = person_modifier(p, params)
    notes = [
        f"{key}: {params.not_modelled[key]}"
        for key in (*p.conditions, *p.medication_ids)
        if key in params.not_modelled
    ]
    return {
        "ingested_ug": round(ingested, 3),
        "absorbed_ug": round(absorbed, 3),
        "meals": [
            {
                "time": m.time,
                "ingested_ug": round(m.ingested_ug, 3),
                "absorbed_ug": round(m.absorbed_ug, 3),
                "items": [
                    {
                        "item": x.label,
                        "ingested_ug": round(x.ingested_ug, 3),
                        **({"note": x.note} if x.note else {}),
                    }
                    for x in m.items
                ],
            }
            for m in results
        ],
        "reference": ref.as_dict(),
        "advice": _advice(p, ingested, ref.value_ug, ref.name, results, modifier, params),
        "notes": notes,
    }
