"""The scenario JSON of the store model (issue 4 s5), validated into frozen objects."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cobalamin.absorption import Meal, parse_meals
from cobalamin.errors import InputError
from cobalamin.knowledge.registry import Knowledge
from cobalamin.person import Person, parse_person
from cobalamin.validation import input_error_from

__all__ = ["START_MODES", "Injection", "Scenario", "Supplement", "parse_scenario"]

START_MODES = ("switch_today", "steady_state")
Start = Literal["switch_today", "steady_state"]

# Input sanity bounds (software limits, not clinical numbers).
MAX_DAYS = 36_500  # 100 years
MAX_DOSE_UG = 100_000.0  # 100 mg in one dose
MAX_FOOD_UG_PER_DAY = 10_000.0
MAX_PEOPLE = 1_000_000
MAX_STORES_UG = 100_000.0


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class IntakeSpec(_Strict):
    food_ug_per_day: float | None = Field(default=None, ge=0, le=MAX_FOOD_UG_PER_DAY)
    meals_per_day: int | None = Field(default=None, ge=1, le=12)
    meals: tuple[dict[str, Any], ...] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> IntakeSpec:
        if self.meals is not None and self.food_ug_per_day is not None:
            raise ValueError("give food_ug_per_day (with meals_per_day) or meals, not both")
        return self


class Supplement(_Strict):
    route: Literal["oral", "im"] = "oral"
    dose_ug: float = Field(gt=0, le=MAX_DOSE_UG)
    every_days: int = Field(default=1, ge=1, le=MAX_DAYS)
    form: Literal["cyanocobalamin", "hydroxocobalamin", "methylcobalamin"] = "cyanocobalamin"
    start_day: int = Field(default=0, ge=0, le=MAX_DAYS)
    end_day: int | None = Field(default=None, ge=0, le=MAX_DAYS)

    @model_validator(mode="after")
    def _route_form(self) -> Supplement:
        if self.route == "im" and self.form == "methylcobalamin":
            raise ValueError(
                "no retention data for injected methylcobalamin (allowed: "
                "cyanocobalamin, hydroxocobalamin)"
            )
        return self


class Injection(_Strict):
    day: int = Field(ge=0, le=MAX_DAYS)
    dose_ug: float = Field(gt=0, le=MAX_DOSE_UG)
    form: Literal["cyanocobalamin", "hydroxocobalamin"] = "hydroxocobalamin"


class Initial(_Strict):
    start: Start = "switch_today"
    stores_ug: float | None = Field(default=None, ge=0, le=MAX_STORES_UG)
    usual_food_ug_per_day: float | None = Field(default=None, ge=0, le=MAX_FOOD_UG_PER_DAY)


class PopulationSpec(_Strict):
    n: int = Field(ge=1, le=MAX_PEOPLE)
    seed: int = Field(default=0, ge=0)
    every_days: int = Field(default=1, ge=1, le=MAX_DAYS)  # output resolution


class _RawScenario(_Strict):
    person: dict[str, Any] | None = None
    intake: IntakeSpec = IntakeSpec()
    supplements: tuple[Supplement, ...] = ()
    injections: tuple[Injection, ...] = ()
    initial: Initial = Initial()
    days: int = Field(ge=1, le=MAX_DAYS)
    population: PopulationSpec | None = None


class Scenario(_Strict):
    """A validated scenario; ``meals`` is set when the intake is a diary."""

    person: Person
    food_ug_per_day: float | None
    meals_per_day: int | None
    meals: tuple[Meal, ...] | None
    supplements: tuple[Supplement, ...]
    injections: tuple[Injection, ...]
    initial_stores_ug: float | None
    usual_food_ug_per_day: float | None
    days: int
    population: PopulationSpec | None
    start: Start = "switch_today"


def parse_scenario(data: Any, knowledge: Knowledge) -> Scenario:
    """A Scenario from JSON-like data (persons read with ``knowledge``'s vocabulary); a
    problem raises InputError naming the field."""
    if not isinstance(data, dict):
        raise InputError("scenario", "must be a JSON object")
    initial = data.get("initial")
    if "start" in data:
        # the starting point may be given at the top level too: {"start": "steady_state"}
        if isinstance(initial, dict) and "start" in initial:
            raise InputError("start", "given twice (also in initial.start)")
        start = data["start"]
        data = {k: v for k, v in data.items() if k != "start"}
        data["initial"] = {**(initial if isinstance(initial, dict) else {}), "start": start}
    if "days" not in data:
        raise InputError("days", "missing: how many days to simulate", f"1-{MAX_DAYS}")
    try:
        raw = _RawScenario.model_validate(data)
    except ValidationError as exc:
        err = input_error_from(exc, "", allowed_fields=tuple(_RawScenario.model_fields))
        if err.field == "days":
            raise InputError("days", err.message, f"1-{MAX_DAYS}") from None
        raise err from None
    person = parse_person(raw.person, knowledge.vocabulary)
    meals = parse_meals(list(raw.intake.meals), "intake.meals") if raw.intake.meals else None
    for i, inj in enumerate(raw.injections):
        if inj.day >= raw.days:
            raise InputError(
                f"injections[{i}].day",
                f"day {inj.day} is not within the {raw.days} simulated days",
                f"0-{raw.days - 1}",
            )
    for i, sup in enumerate(raw.supplements):
        if sup.end_day is not None and sup.end_day < sup.start_day:
            raise InputError(f"supplements[{i}].end_day", "is before start_day")
    return Scenario(
        person=person,
        food_ug_per_day=raw.intake.food_ug_per_day,
        meals_per_day=raw.intake.meals_per_day,
        meals=meals,
        supplements=raw.supplements,
        injections=raw.injections,
        initial_stores_ug=raw.initial.stores_ug,
        usual_food_ug_per_day=raw.initial.usual_food_ug_per_day,
        days=raw.days,
        population=raw.population,
        start=raw.initial.start,
    )
