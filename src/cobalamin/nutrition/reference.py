"""Reference intakes by authority and life stage (``data/reference_intakes.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cobalamin.datafiles import data_path, read_yaml
from cobalamin.errors import InputError, KnowledgeError
from cobalamin.person import Person

__all__ = ["ReferenceIntake", "advice_texts", "authorities", "label", "reference_intake"]


class Band(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    age_min: float = Field(ge=0)
    age_max: float
    ug: float = Field(ge=0)
    note: str | None = None


class Authority(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
    kind: str
    source: tuple[str, ...]  # bibliography ids
    detail: str
    bands: tuple[Band, ...]
    pregnancy: float | None = None
    lactation: float | None = None


class Texts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    en: str
    nl: str


class ReferenceFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    default_authority: str
    authorities: dict[str, Authority]
    advice: dict[str, Texts]
    labels: dict[str, Texts] = {}


@dataclass(frozen=True)
class ReferenceIntake:
    authority: str
    name: str
    value_ug: float | None
    life_stage: str
    source: str  # how the value was read
    source_ids: tuple[str, ...] = ()  # bibliography ids

    def as_dict(self) -> dict[str, Any]:
        return {
            "authority": self.authority,
            "name": self.name,
            "value_ug": self.value_ug,
            "life_stage": self.life_stage,
            "source": self.source,
            "source_ids": list(self.source_ids),
        }


@cache
def _file() -> ReferenceFile:
    path = data_path("reference_intakes.yaml")
    try:
        data = ReferenceFile.model_validate(read_yaml(path))
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise KnowledgeError(f"{path}: {first['loc']}", first["msg"]) from None
    if data.default_authority not in data.authorities:
        raise KnowledgeError(str(path), "default_authority is not one of the authorities")
    return data


def authorities() -> dict[str, str]:
    """Authority id -> name."""
    return {key: a.name for key, a in _file().authorities.items()}


def default_authority() -> str:
    return _file().default_authority


def advice_texts() -> dict[str, Texts]:
    return _file().advice


def label(key: str, lang: str) -> str:
    """A short interface text (table headings) in English or Dutch."""
    entry = _file().labels[key]
    return entry.nl if lang == "nl" else entry.en


def reference_intake(person: Person, authority: str | None = None) -> ReferenceIntake:
    """The reference intake that applies to the person (adult if the age is unknown)."""
    key = authority or _file().default_authority
    if key not in _file().authorities:
        raise InputError("authority", f"unknown authority {key!r}", ", ".join(_file().authorities))
    auth = _file().authorities[key]
    if person.pregnant and auth.pregnancy is not None:
        return ReferenceIntake(
            key, auth.name, auth.pregnancy, "pregnancy", auth.detail, auth.source
        )
    if person.lactating and auth.lactation is not None:
        return ReferenceIntake(
            key, auth.name, auth.lactation, "lactation", auth.detail, auth.source
        )
    if person.age is None:  # unknown age: the oldest band (adults)
        band = max(auth.bands, key=lambda b: b.age_min)
        return ReferenceIntake(
            key, auth.name, band.ug, "adult (age unknown)", auth.detail, auth.source
        )
    age = person.age
    for band in auth.bands:
        if band.age_min <= age < band.age_max:
            stage = f"age {band.age_min:g}-{band.age_max:g}" if band.age_max < 200 else "adult"
            return ReferenceIntake(key, auth.name, band.ug, stage, auth.detail, auth.source)
    return ReferenceIntake(key, auth.name, None, f"age {age:g}", auth.detail, auth.source)
