"""From what is eaten to what is absorbed: meals, intrinsic-factor windows and saturation.

This module sits below both ``nutrition`` (the intake calculator) and ``physiology`` (the store
model): both read meals and absorb B12 through it. Food names are resolved by a
:class:`FoodLookup` the caller passes in (``nutrition.foods`` provides the food table's).

Per intrinsic-factor (IF) window (meals less than ``if_window_hours`` apart share one):

    X_c    = crystalline (free) B12: supplements, fortified foods
    X_f    = food-bound B12 released from food (release factor x the person's food release)
    A_c    = s_IF * c * Amax * X_c / (K + X_c) + f_pas * X_c          (Adams 1971 fit; f_pas IOM p.309)
    A_f    = s_IF * c * (a * X_f**b - f_pas * X_f) + f_pas * X_f      (Doets 2013 food curve)
    A      = min(A_c, X_c) + min(A_f, X_f)

Food B12 saturates per meal more softly than a crystalline dose (Doets 2013: ln A = 0.7694 ln D
- 0.9614 over eight food studies; IOM p.309: 4.1 µg absorbed from a 38 µg liver meal although
1.5-2.5 µg saturates the receptors for a dose taken at once). ``c`` scales the IF capacity of
one person (between-person variation). Works on floats and numpy arrays alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cobalamin.errors import InputError
from cobalamin.knowledge.physiology import Modifier, Parameters, Texts, load_parameters
from cobalamin.person import Person
from cobalamin.validation import input_error_from

__all__ = [
    "FoodLookup",
    "Item",
    "ItemResult",
    "Meal",
    "MealResult",
    "Window",
    "absorb",
    "absorb_array",
    "absorb_food_array",
    "absorb_window",
    "combined_modifier",
    "estimate",
    "not_modelled_notes",
    "parse_meals",
    "person_modifier",
    "windows",
]

FloatArray = npt.NDArray[np.float64]
MAX_UG = 100_000.0  # input sanity bound (100 mg in one item), not a clinical number


# --- saturation -------------------------------------------------------------------------------


def absorb_array(
    free_ug: FloatArray | float,
    params: Parameters,
    *,
    s_if: float = 1.0,
    capacity: FloatArray | float = 1.0,
) -> FloatArray:
    """Micrograms absorbed from ``free_ug`` micrograms of crystalline B12 in one window."""
    x = np.maximum(np.asarray(free_ug, dtype=np.float64), 0.0)
    amax = s_if * np.asarray(capacity, dtype=np.float64) * params.if_capacity_ug
    a_if = amax * x / (params.if_half_saturation_ug + x)
    out: FloatArray = np.minimum(a_if + params.passive_fraction * x, x)
    return out


def absorb_food_array(
    released_ug: FloatArray | float,
    params: Parameters,
    *,
    s_if: float = 1.0,
    capacity: FloatArray | float = 1.0,
) -> FloatArray:
    """Micrograms absorbed from food-bound B12 released in one meal.

    The Doets 2013 power law ``a * D**b`` has no ceiling; the IF receptors available to one
    meal are finite, so the curve is combined with a per-meal ceiling (harmonic sum): close to
    the power law for ordinary meals, bounded for a very rich one.
    """
    x = np.maximum(np.asarray(released_ug, dtype=np.float64), 0.0)
    passive = params.passive_fraction * x
    power = params.food_coefficient * np.power(x, params.food_exponent)
    curve = power / (1.0 + power / params.food_meal_ceiling_ug)
    a_if = np.maximum(curve - passive, 0.0) * s_if * np.asarray(capacity, dtype=np.float64)
    out: FloatArray = np.minimum(a_if + passive, x)
    return out


def absorb_window(
    crystalline_ug: FloatArray | float,
    food_ug: FloatArray | float,
    params: Parameters,
    *,
    s_if: float = 1.0,
    capacity: FloatArray | float = 1.0,
) -> FloatArray:
    """Absorbed from one IF window holding crystalline and released food B12."""
    out: FloatArray = absorb_array(
        crystalline_ug, params, s_if=s_if, capacity=capacity
    ) + absorb_food_array(food_ug, params, s_if=s_if, capacity=capacity)
    return out


def absorb(free_ug: float, params: Parameters, *, s_if: float = 1.0) -> float:
    """Scalar form of :func:`absorb_array` for one person with the reference capacity."""
    return float(absorb_array(free_ug, params, s_if=s_if))


def combined_modifier(ids: list[str] | tuple[str, ...], params: Parameters) -> Modifier:
    """The modifier of several conditions/medications: the most severe of each factor."""
    s_if, release = 1.0, 1.0
    for key in ids:
        mod = params.modifiers.get(key)
        if mod is not None:
            s_if = min(s_if, mod.s_if)
            release = min(release, mod.food_release)
    return Modifier(s_if=s_if, food_release=release)


def person_modifier(person: Person, params: Parameters) -> Modifier:
    return combined_modifier((*person.conditions, *person.medication_ids), params)


def not_modelled_notes(person: Person, params: Parameters) -> dict[str, list[str]]:
    """The person's conditions and medications that the model does not cover, per language."""
    keys = [
        k for k in (*person.conditions, *sorted(person.medication_ids)) if k in params.not_modelled
    ]
    return {
        lang: [f"{k}: {params.not_modelled[k].get(lang)}" for k in keys] for lang in ("en", "nl")
    }


# --- meals ------------------------------------------------------------------------------------


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


def parse_meals(data: Any, field: str) -> tuple[Meal, ...]:
    """Validated meals from JSON-like data (diaries and store-model scenarios)."""
    if not isinstance(data, list) or not data:
        raise InputError(field, "must be a non-empty list of meals")
    out = []
    for i, meal in enumerate(data):
        try:
            out.append(Meal.model_validate(meal))
        except ValidationError as exc:
            raise input_error_from(exc, f"{field}[{i}]") from None
    return tuple(out)


@dataclass(frozen=True)
class ItemResult:
    """One item: ingested B12 and what is available to absorption.

    ``free_ug`` is crystalline B12, or food-bound B12 released from the food (release factor
    of the food and, once :func:`estimate` has applied it, the person's food release).
    """

    label: str
    ingested_ug: float
    free_ug: float
    crystalline: bool
    note: Texts | None = None  # in English and Dutch
    counted: bool = True


class FoodLookup(Protocol):
    """Resolves a named food item to micrograms (the food table implements this)."""

    def resolve(self, item: Item, field: str, params: Parameters) -> ItemResult: ...


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

    @property
    def crystalline_ug(self) -> float:
        return sum(i.free_ug for i in self.items if i.crystalline)

    @property
    def food_ug(self) -> float:
        return sum(i.free_ug for i in self.items if not i.crystalline)


@dataclass(frozen=True)
class Window:
    """Meals close enough together to share one intrinsic-factor window."""

    hours: float
    crystalline_ug: float
    food_ug: float


def _plain_item(item: Item, modifier: Modifier) -> ItemResult:
    assert item.b12_ug is not None
    crystalline = item.form == "crystalline"
    free = item.b12_ug if crystalline else item.b12_ug * modifier.food_release
    return ItemResult(f"{item.b12_ug:g} µg B12 ({item.form})", item.b12_ug, free, crystalline)


def _resolve(
    item: Item, field: str, modifier: Modifier, params: Parameters, foods: FoodLookup | None
) -> ItemResult:
    if item.b12_ug is not None:
        return _plain_item(item, modifier)
    if foods is None:
        raise InputError(
            f"{field}.food", "food names need the food table here", "b12_ug with a form"
        )
    found = foods.resolve(item, field, params)
    if found.crystalline or not found.counted:
        return found
    return ItemResult(
        found.label,
        found.ingested_ug,
        found.free_ug * modifier.food_release,
        False,
        found.note,
        found.counted,
    )


def windows(results: list[MealResult], params: Parameters) -> list[list[int]]:
    """Indices of ``results`` (sorted by time) grouped into IF windows."""
    groups: list[list[int]] = []
    for i, meal in enumerate(results):
        if groups and meal.hours - results[groups[-1][0]].hours < params.if_window_hours:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def window_totals(results: list[MealResult], params: Parameters) -> list[Window]:
    """Crystalline and released food B12 per IF window."""
    return [
        Window(
            results[group[0]].hours,
            sum(results[i].crystalline_ug for i in group),
            sum(results[i].food_ug for i in group),
        )
        for group in windows(results, params)
    ]


def estimate(
    meals: tuple[Meal, ...],
    person: Person,
    params: Parameters | None = None,
    foods: FoodLookup | None = None,
) -> list[MealResult]:
    """Ingested, released and absorbed B12 per meal, sorted by time (pure: no I/O).

    Within a window the absorbed amount is shared in proportion to each meal's free B12.
    """
    params = params or load_parameters()
    modifier = person_modifier(person, params)
    order = sorted(range(len(meals)), key=lambda i: meals[i].hours)
    unabsorbed = [
        MealResult(
            meals[i].time,
            meals[i].hours,
            tuple(
                _resolve(it, f"meals[{i}].items[{j}]", modifier, params, foods)
                for j, it in enumerate(meals[i].items)
            ),
            0.0,
        )
        for i in order
    ]
    out = list(unabsorbed)
    for group in windows(unabsorbed, params):
        cryst = sum(unabsorbed[i].crystalline_ug for i in group)
        food = sum(unabsorbed[i].food_ug for i in group)
        absorbed = float(absorb_window(cryst, food, params, s_if=modifier.s_if))
        free = cryst + food
        for i in group:
            m = unabsorbed[i]
            share = absorbed * m.free_ug / free if free > 0 else 0.0
            out[i] = MealResult(m.time, m.hours, m.items, share)
    return out
