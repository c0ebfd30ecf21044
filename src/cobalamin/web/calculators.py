"""The stateless calculators the JSON API and the pages share, each a thin call into the same
services the command line uses, returning exactly what the command line prints as JSON."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cobalamin.assessment import Assessment
from cobalamin.care.followup import RESPONSES, follow_up
from cobalamin.care.screening import screen_all
from cobalamin.care.treatment import Plan, parse_date, plan
from cobalamin.care.workup import workup
from cobalamin.case import Case, parse_case
from cobalamin.errors import InputError
from cobalamin.knowledge.registry import Knowledge
from cobalamin.nutrition.foods import food_table, search
from cobalamin.person import parse_person
from cobalamin.pipeline import assess

__all__ = [
    "DEFAULT_PACK",
    "PLAN_OPTIONS",
    "assess_all",
    "assess_one",
    "follow_up_dict",
    "food_rows",
    "make_plan",
    "screen_dict",
    "workup_dict",
]

DEFAULT_PACK = "nice-ng239"  # as the command line
PLAN_OPTIONS = (
    "regimen", "start", "skip_weekends", "pregnant", "lactating", "wish_to_conceive",
    "months", "until", "maintenance_form", "loading_doses",
)  # fmt: skip
_FOLLOW_UP_OPTIONS = (
    "start", "pack", "regimen", "route", "response", "cause_addressed", "pregnant",
    "lactating", "wish_to_conceive",
)  # fmt: skip


def _case(data: Any, knowledge: Knowledge) -> Case:
    return parse_case(data, knowledge.analytes, knowledge.vocabulary)


def assess_one(data: Any, pack_id: str, knowledge: Knowledge) -> Assessment:
    """``cobalamin assess --pack ID`` on one case (the contract's JSON)."""
    return assess(_case(data, knowledge), knowledge.pack(pack_id), knowledge)


def assess_all(data: Any, knowledge: Knowledge) -> list[Assessment]:
    """``cobalamin compare``: the same case under every pack."""
    case = _case(data, knowledge)
    return [assess(case, knowledge.pack(i), knowledge) for i in knowledge.packs.ids()]


def workup_dict(data: Any, pack_id: str, knowledge: Knowledge, lang: str) -> dict[str, Any]:
    case = _case(data, knowledge)
    pack = knowledge.pack(pack_id)
    return workup(case, assess(case, pack, knowledge), pack, knowledge).to_dict(lang)


def _person_part(data: Any) -> Any:
    """A person, or the person of a case (as ``cobalamin screen`` reads it)."""
    if isinstance(data, dict) and data and set(data) <= {"person", "results", "date"}:
        return data.get("person") or {}
    return data


def screen_dict(
    data: Any, packs: list[str] | None, knowledge: Knowledge, lang: str
) -> dict[str, Any]:
    """``cobalamin screen --format json``."""
    person = parse_person(_person_part(data), knowledge.vocabulary)
    for pack_id in packs or []:
        knowledge.screening(pack_id)  # an unknown guideline is an input error
    results = screen_all(person, knowledge, packs or None)
    return {"screening": [r.to_dict(lang) for r in results]}


def _options(data: Any, allowed: tuple[str, ...], what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InputError(what, "must be a JSON object", ", ".join(allowed))
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise InputError(unknown[0], "unknown field", ", ".join(allowed))
    return data


def _flag(data: dict[str, Any], name: str) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):
        raise InputError(name, f"must be true or false, got {value!r}")
    return value


def _whole(data: dict[str, Any], name: str) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(name, f"must be a whole number, got {value!r}")
    return value


def make_plan(data: Any, knowledge: Knowledge) -> Plan:
    """``cobalamin plan``: a regimen from ``start`` as a dated schedule."""
    options = _options(data, PLAN_OPTIONS, "plan")
    regimen = options.get("regimen")
    if not isinstance(regimen, str):
        raise InputError(
            "regimen", "a regimen id is required", ", ".join(knowledge.regimens.regimens)
        )
    if "start" not in options:
        raise InputError("start", "a start date is required", "YYYY-MM-DD")
    maintenance_form = options.get("maintenance_form")
    if maintenance_form is not None and not isinstance(maintenance_form, str):
        raise InputError("maintenance_form", "must be a text")
    months = _whole(options, "months")
    return plan(
        regimen,
        str(options["start"]),
        knowledge,
        skip_weekends=_flag(options, "skip_weekends"),
        pregnant=_flag(options, "pregnant"),
        lactating=_flag(options, "lactating"),
        wish_to_conceive=_flag(options, "wish_to_conceive"),
        months=12 if months is None else months,
        until=None if options.get("until") is None else str(options["until"]),
        maintenance_form=maintenance_form,
        loading_doses=_whole(options, "loading_doses"),
    )


def follow_up_dict(data: Any, knowledge: Knowledge, lang: str) -> dict[str, Any]:
    """``cobalamin follow-up --format json``: review dates and advice on the response."""
    options = _options(data, _FOLLOW_UP_OPTIONS, "follow-up")
    if "start" not in options:
        raise InputError("start", "a start date is required", "YYYY-MM-DD")
    first: dt.date = parse_date(str(options["start"]), "start")
    pack, route = options.get("pack"), options.get("route")
    regimen = options.get("regimen")
    if regimen is not None:
        found = knowledge.regimens.regimens.get(str(regimen))
        if found is None:
            raise InputError(
                "regimen", f"unknown regimen {regimen!r}", ", ".join(knowledge.regimens.regimens)
            )
        pack = pack or found.followup
        route = route or found.route
    if not isinstance(pack, str):
        raise InputError(
            "pack", "give pack or regimen", ", ".join(sorted(knowledge.followup.packs))
        )
    if route is not None and route not in ("oral", "im"):
        raise InputError("route", f"unknown route {route!r}", "oral, im")
    response = options.get("response")
    if response is not None and response not in RESPONSES:
        raise InputError("response", f"unknown response {response!r}", ", ".join(RESPONSES))
    result = follow_up(
        pack,
        first,
        knowledge,
        route="oral" if route == "oral" else "im" if route == "im" else None,
        response=response,
        cause_addressed=_flag(options, "cause_addressed"),
        pregnant_or_lactating=_flag(options, "pregnant") or _flag(options, "lactating"),
        wish_to_conceive=_flag(options, "wish_to_conceive"),
    )
    return result.to_dict(lang)


def food_rows(query: str | None) -> list[dict[str, Any]]:
    """``cobalamin intake --search`` (or ``--foods`` without a query) as JSON rows."""
    table = food_table()
    hits = search(query) if query else list(table.foods)
    rows = []
    for food in hits:
        value = table.preferred_value(food)
        rows.append(
            {
                "id": food.id,
                "en": food.en,
                "nl": food.nl,
                "portion_g": food.portion_g,
                "b12_ug_per_portion": value.ug,
                "source": value.source,
            }
        )
    return rows
