"""The public functions, each taking an optional ``Knowledge`` (default: the package's own
plus ``COBALAMIN_PACK_PATH``). Services below take ``knowledge`` explicitly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from cobalamin import cb12 as _cb12_module
from cobalamin.assessment import Alert, Assessment
from cobalamin.care import followup as _followup
from cobalamin.care import safety as _safety
from cobalamin.care import screening as _screening
from cobalamin.care import treatment as _treatment
from cobalamin.care import workup as _workup
from cobalamin.case import Case
from cobalamin.case import parse_case as _parse_case
from cobalamin.cb12 import CB12Result
from cobalamin.defaults import default_knowledge
from cobalamin.knowledge.model import Pack
from cobalamin.knowledge.registry import Knowledge
from cobalamin.nutrition.foods import FOODS
from cobalamin.nutrition.intake import IntakeResult
from cobalamin.nutrition.intake import intake as _intake
from cobalamin.person import Person
from cobalamin.person import parse_person as _parse_person
from cobalamin.physiology.simulate import SimulationResult
from cobalamin.physiology.simulate import simulate as _simulate
from cobalamin.pipeline import assess as _assess
from cobalamin.units import to_canonical as _to_canonical

__all__ = [
    "assess",
    "builtin_pack_ids",
    "cb12",
    "follow_up",
    "intake",
    "load_pack",
    "pack_ids",
    "parse_case",
    "parse_person",
    "plan",
    "regimen_ids",
    "safety_alerts",
    "screen",
    "screen_all",
    "screening_pack_ids",
    "simulate",
    "to_canonical",
    "workup",
]


def _k(knowledge: Knowledge | None) -> Knowledge:
    return knowledge if knowledge is not None else default_knowledge()


def load_pack(ref: str, knowledge: Knowledge | None = None) -> Pack:
    """A pack by id (built in or in a site folder) or by the path of a pack file."""
    return _k(knowledge).pack(ref)


def builtin_pack_ids(knowledge: Knowledge | None = None) -> list[str]:
    """Ids of the packs shipped with cobalamin."""
    return _k(knowledge).packs.builtin_ids()


def pack_ids(knowledge: Knowledge | None = None) -> list[str]:
    """Ids of every pack: built in, then the site packs."""
    return _k(knowledge).packs.ids()


def parse_case(data: Any, knowledge: Knowledge | None = None) -> Case:
    """A validated, normalised Case from JSON-like data (the case contract; README, "Input and output")."""
    k = _k(knowledge)
    return _parse_case(data, k.analytes, k.vocabulary)


def parse_person(data: Any, knowledge: Knowledge | None = None) -> Person:
    return _parse_person(data, _k(knowledge).vocabulary)


def _case(case: Case | Mapping[str, Any], k: Knowledge) -> Case:
    return case if isinstance(case, Case) else _parse_case(case, k.analytes, k.vocabulary)


def _person(person: Person | Mapping[str, Any] | None, k: Knowledge) -> Person:
    return person if isinstance(person, Person) else _parse_person(person, k.vocabulary)


def assess(
    case: Case | Mapping[str, Any], pack: Pack | str, knowledge: Knowledge | None = None
) -> Assessment:
    """Interpret one case under one pack (by id, path, or loaded)."""
    k = _k(knowledge)
    loaded = pack if isinstance(pack, Pack) else k.pack(pack)
    return _assess(_case(case, k), loaded, k)


def safety_alerts(
    case: Case | Mapping[str, Any],
    derived: Mapping[str, Any] | None = None,
    knowledge: Knowledge | None = None,
) -> tuple[Alert, ...]:
    k = _k(knowledge)
    return _safety.safety_alerts(_case(case, k), k, derived)


def workup(
    case: Case | Mapping[str, Any], pack: Pack | str, knowledge: Knowledge | None = None
) -> _workup.Workup:
    """Which tests point to the cause of a deficiency, under this pack, for this case."""
    k = _k(knowledge)
    loaded = pack if isinstance(pack, Pack) else k.pack(pack)
    checked = _case(case, k)
    return _workup.workup(checked, _assess(checked, loaded, k), loaded, k)


def screening_pack_ids(knowledge: Knowledge | None = None) -> list[str]:
    return _k(knowledge).screening_pack_ids()


def screen(
    person: Person | Mapping[str, Any] | None, pack: Pack | str, knowledge: Knowledge | None = None
) -> _screening.Screening:
    k = _k(knowledge)
    return _screening.screen(_person(person, k), pack.id if isinstance(pack, Pack) else pack, k)


def screen_all(
    person: Person | Mapping[str, Any] | None,
    packs: list[str] | None = None,
    knowledge: Knowledge | None = None,
) -> tuple[_screening.Screening, ...]:
    k = _k(knowledge)
    return _screening.screen_all(_person(person, k), k, packs)


def regimen_ids(knowledge: Knowledge | None = None) -> list[str]:
    return sorted(_k(knowledge).regimens.regimens)


def plan(
    regimen_id: str, start: dt.date | str, knowledge: Knowledge | None = None, **options: Any
) -> _treatment.Plan:
    """A dated treatment schedule; ``options`` as ``cobalamin.care.treatment.plan``."""
    return _treatment.plan(regimen_id, start, _k(knowledge), **options)


def follow_up(
    pack_id: str, start: dt.date, knowledge: Knowledge | None = None, **options: Any
) -> _followup.FollowUp:
    """Review dates after starting treatment; ``options`` as ``care.followup.follow_up``."""
    return _followup.follow_up(pack_id, start, _k(knowledge), **options)


def cb12(
    markers: dict[str, float],
    age: float | None,
    *,
    allow_unverified: bool = False,
    knowledge: Knowledge | None = None,
) -> CB12Result:
    """Fedosov's combined indicator from canonical values (see ``cobalamin.cb12``)."""
    constants = _k(knowledge).cb12
    return _cb12_module.compute(markers, age, constants, allow_unverified=allow_unverified)


def to_canonical(test: str, value: float, unit: str, knowledge: Knowledge | None = None) -> float:
    """A value in its test's canonical unit."""
    return _to_canonical(_k(knowledge).analytes.analyte(test), value, unit)


def simulate(scenario: Any, knowledge: Knowledge | None = None) -> SimulationResult:
    """The store model for a scenario (one person or a population); diaries may name foods."""
    return _simulate(scenario, _k(knowledge), foods=FOODS)


def intake(
    diary: Any,
    person: Any = None,
    *,
    authority: str | None = None,
    knowledge: Knowledge | None = None,
) -> IntakeResult:
    """The B12 intake of a food diary: per meal and day, against a reference intake."""
    return _intake(diary, _k(knowledge), person, authority=authority)
