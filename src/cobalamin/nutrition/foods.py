"""The food table (``data/foods.yaml``): B12 per portion by source, bioavailability, losses."""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cobalamin.absorption import Item, ItemResult
from cobalamin.datafiles import data_path, read_yaml
from cobalamin.errors import InputError, KnowledgeError
from cobalamin.knowledge.physiology import Parameters, Texts
from cobalamin.nutrition.reference import label

__all__ = [
    "FOODS",
    "CookingLoss",
    "Food",
    "FoodTable",
    "FoodTableLookup",
    "FoodValue",
    "find_food",
    "food_table",
    "release_factor",
    "search",
]

Amount = float | tuple[float, float]


def midpoint(value: Amount) -> float:
    """A range counts as its midpoint; a number as itself."""
    return (value[0] + value[1]) / 2 if isinstance(value, tuple) else float(value)


class FoodValue(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    source: str
    ug: Amount
    state: Literal["raw", "cooked", "as_sold"]
    note: str | None = None


class Bioavailability(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    value: Amount
    source: str
    note: str | None = None


class CookingLoss(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    loss: Amount | None = None
    retained: Amount | None = None
    source: str
    note: str | None = None


class Food(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    en: str
    nl: str
    aliases: tuple[str, ...] = ()
    category: Literal[
        "meat",
        "offal",
        "poultry",
        "fish",
        "shellfish",
        "dairy",
        "egg",
        "plant",
        "fortified",
        "supplement",
    ]
    portion_g: float = Field(gt=0)
    portion_note: str | None = None
    values: tuple[FoodValue, ...] = Field(min_length=1)
    bioavailability: Bioavailability | None = None
    cooking_loss: str | None = None
    counted: bool = True
    form: Literal["food", "crystalline"]

    def names(self) -> tuple[str, ...]:
        return (self.id, self.en, self.nl, *self.aliases)


class FoodTable(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    sources: dict[str, str]
    preferred_sources: tuple[str, ...]
    cooking_losses: dict[str, CookingLoss]
    foods: tuple[Food, ...]

    @model_validator(mode="after")
    def _references(self) -> FoodTable:
        ids = [f.id for f in self.foods]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate food ids")
        for food in self.foods:
            for val in food.values:
                if val.source not in self.sources:
                    raise ValueError(f"{food.id}: unknown source {val.source!r}")
            if food.bioavailability and food.bioavailability.source not in self.sources:
                raise ValueError(f"{food.id}: unknown bioavailability source")
            if food.cooking_loss and food.cooking_loss not in self.cooking_losses:
                raise ValueError(f"{food.id}: unknown cooking loss {food.cooking_loss!r}")
        for key, loss in self.cooking_losses.items():
            if loss.source not in self.sources:
                raise ValueError(f"cooking loss {key}: unknown source {loss.source!r}")
        return self

    def preferred_value(self, food: Food) -> FoodValue:
        """The value of the first preferred source the food has (else its first value)."""
        for source in self.preferred_sources:
            for val in food.values:
                if val.source == source:
                    return val
        return food.values[0]


@cache
def food_table() -> FoodTable:
    path = data_path("foods.yaml")
    try:
        return FoodTable.model_validate(read_yaml(path))
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise KnowledgeError(f"{path}: {where}", first["msg"]) from None


def _norm(text: str) -> str:
    return " ".join(text.casefold().replace("_", " ").replace("-", " ").split())


def search(query: str) -> list[Food]:
    """Foods whose id, English or Dutch name or alias contains the query (case-insensitive).

    Exact name matches come first.
    """
    q = _norm(query)
    if not q:
        return []
    exact = [f for f in food_table().foods if any(_norm(n) == q for n in f.names())]
    partial = [
        f for f in food_table().foods if f not in exact and any(q in _norm(n) for n in f.names())
    ]
    return exact + partial


def find_food(query: str, field: str) -> Food:
    """The one food a diary names; an unknown or ambiguous name is an input error."""
    hits = search(query)
    exact = [f for f in hits if any(_norm(n) == _norm(query) for n in f.names())]
    if len(exact) == 1:
        return exact[0]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise InputError(
            field, f"unknown food {query!r}", "a food id or name; `cobalamin intake --foods` lists"
        )
    raise InputError(field, f"food {query!r} is ambiguous", ", ".join(f.id for f in hits[:8]))


def release_factor(food: Food, params: Parameters) -> float:
    """Share of a food's B12 released for absorption relative to the dietary reference."""
    if food.form == "crystalline" or food.bioavailability is None:
        return 1.0
    return min(1.0, midpoint(food.bioavailability.value) / params.dietary_bioavailability_reference)


class FoodTableLookup:
    """Resolves named foods in a diary with the food table (``absorption.FoodLookup``)."""

    def resolve(self, item: Item, field: str, params: Parameters) -> ItemResult:
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
                pct = f"{midpoint(loss.loss):.0%}"
                note = Texts(
                    en=label("cooking_loss", "en").format(loss=pct, kind=food.cooking_loss),
                    nl=label("cooking_loss", "nl").format(loss=pct, kind=food.cooking_loss),
                )
        name = f"{food.en} ({value.source})"
        if not food.counted:
            shown = f"{ug:.2g}"
            return ItemResult(
                name,
                0.0,
                0.0,
                False,
                Texts(
                    en=label("not_counted", "en").format(ug=shown),
                    nl=label("not_counted", "nl").format(ug=shown.replace(".", ",")),
                ),
                counted=False,
            )
        if food.form == "crystalline":
            return ItemResult(name, ug, ug, True, note)
        return ItemResult(name, ug, ug * release_factor(food, params), False, note)


FOODS = FoodTableLookup()
