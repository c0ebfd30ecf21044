"""The person whose results are interpreted: age, pregnancy, diet, conditions, drugs, symptoms.

Every word is checked against the shared vocabulary (``data/vocabulary.yaml``) passed to
``parse_person``; an unknown word is an input error that lists what is allowed.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from cobalamin.errors import InputError
from cobalamin.validation import input_error_from
from cobalamin.vocabulary import Vocabulary

__all__ = ["Medication", "Person", "parse_person"]


def _known(list_name: str, value: str, info: ValidationInfo) -> str:
    vocabulary = (info.context or {}).get("vocabulary")
    if vocabulary is None:  # built in code, not parsed from input: nothing to check against
        return value
    allowed = vocabulary.terms(list_name)
    if value not in allowed:
        raise ValueError(f"unknown {list_name} value {value!r} (allowed: {', '.join(allowed)})")
    return value


ConditionId = Annotated[str, AfterValidator(partial(_known, "conditions"))]
MedicationId = Annotated[str, AfterValidator(partial(_known, "medications"))]
SymptomId = Annotated[str, AfterValidator(partial(_known, "symptoms"))]


class Medication(BaseModel):
    """A medication (or supplement) the person uses, optionally with how many months."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: MedicationId
    months: float | None = Field(default=None, ge=0, le=1200)

    @model_validator(mode="before")
    @classmethod
    def _from_word(cls, data: Any) -> Any:
        return {"id": data} if isinstance(data, str) else data


class Person(BaseModel):
    """One person's context. Everything is optional: rules treat an unknown fact as absent."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    age: float | None = Field(default=None, ge=0, le=125, description="years")
    sex: Literal["female", "male"] | None = None
    pregnant: bool = False
    trimester: Literal[1, 2, 3] | None = None
    gestational_weeks: float | None = Field(default=None, ge=0, le=45)
    lactating: bool = False
    wish_to_conceive: bool = False
    diet: Literal["omnivore", "pescatarian", "vegetarian", "vegan"] | None = None
    conditions: tuple[ConditionId, ...] = ()
    medications: tuple[Medication, ...] = ()
    symptoms: tuple[SymptomId, ...] = ()
    last_b12_injection: dt.date | None = None

    @field_validator("sex", mode="before")
    @classmethod
    def _sex_code(cls, value: Any, info: ValidationInfo) -> Any:
        """``V``, ``vrouw``, ``M``, ``F`` (and HL7 administrative sex) by the vocabulary's codes;
        a code for "not known" (``U``, ``O``, ``onbekend``) is no sex: rules treat it as missing."""
        vocabulary = (info.context or {}).get("vocabulary")
        if vocabulary is None or not isinstance(value, str):
            return value
        try:
            return vocabulary.resolve("sex", value, "sex")
        except InputError as exc:
            raise ValueError(f"{exc.message} (allowed: {exc.allowed})") from None

    @model_validator(mode="after")
    def _pregnancy_consistent(self) -> Person:
        if not self.pregnant and (self.trimester is not None or self.gestational_weeks is not None):
            raise ValueError("trimester or gestational_weeks given but pregnant is false")
        if self.pregnant and self.sex == "male":
            raise ValueError("pregnant is true but sex is male")
        return self

    @property
    def medication_ids(self) -> frozenset[str]:
        return frozenset(m.id for m in self.medications)


def parse_person(data: Any, vocabulary: Vocabulary, *, field: str = "person") -> Person:
    """A validated Person from JSON-like data; problems raise InputError naming the field."""
    if data is None:
        return Person()
    if not isinstance(data, dict):
        raise InputError(field, "must be an object")
    try:
        return Person.model_validate(data, context={"vocabulary": vocabulary})
    except ValidationError as exc:
        raise input_error_from(exc, field, allowed_fields=tuple(Person.model_fields)) from None
