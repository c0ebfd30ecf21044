"""The JSON API under ``/api/v1``: the command line's answers over HTTP.

Each route runs the same service as its command and returns exactly the JSON that command
prints with ``--format json`` (``POST /api/v1/assess?pack=ID`` = ``cobalamin assess --pack ID
--format json``). Bad input is answered 422 with the command line's field-naming message::

    {"detail": [{"loc": ["results[0].unit"], "msg": "a unit is required",
                 "type": "input_error", "allowed": "pmol/L, ng/L, pg/mL"}],
     "message": "results[0].unit: a unit is required (allowed: pmol/L, ng/L, pg/mL)"}

(``message`` is the line ``cobalamin`` prints after ``error:`` when it exits 2.)
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict

from cobalamin.facade import intake
from cobalamin.knowledge.registry import Knowledge
from cobalamin.nutrition.foods import FOODS
from cobalamin.physiology.scenario import parse_scenario
from cobalamin.physiology.simulate import simulate_scenario
from cobalamin.render.ics import plan_ics
from cobalamin.render.packs import pack_list, pack_summary
from cobalamin.web.access import require_calculators
from cobalamin.web.calculators import (
    DEFAULT_PACK,
    assess_all,
    assess_one,
    follow_up_dict,
    food_rows,
    make_plan,
    screen_dict,
    workup_dict,
)
from cobalamin.web.limits import check_simulation_size
from cobalamin.web.responses import ErrorItem, json_answer, problems
from cobalamin.web.settings import Settings

__all__ = ["ERRORS", "ErrorResponse", "router"]


class Lang(StrEnum):
    en = "en"
    nl = "nl"


class PlanFormat(StrEnum):
    json = "json"
    ics = "ics"


class ErrorResponse(BaseModel):
    """A 422: which field, what is wrong, what is allowed (as the CLI's exit 2)."""

    detail: list[ErrorItem]
    message: str | None = None


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class NextTestOut(_Open):
    test: str
    reflex: bool
    reason: str
    rule: str
    source: str


class FindingOut(_Open):
    rule: str
    text: str
    source: str


class AlertOut(_Open):
    code: str
    level: str
    text: str
    source: str


class AssessmentOut(_Open):
    """The contract's output, as ``cobalamin assess --format json``."""

    pack: str
    pack_sha256: str
    deficiency: str
    severe: bool
    next_tests: list[NextTestOut]
    findings: list[FindingOut]
    alerts: list[AlertOut]
    cb12: dict[str, Any] | None
    warnings: list[str]
    comment: str
    disclaimer: str


class ScreeningOut(_Open):
    screening: list[dict[str, Any]]


class PackOut(_Open):
    id: str
    title: str
    publisher: str
    date: str
    status: str
    extends: str | None
    builtin: bool
    sha256: str


ERRORS: dict[int | str, dict[str, Any]] = {
    **problems(401, 404),
    422: {
        "model": ErrorResponse,
        "description": "Bad input: the field, the problem, what is allowed.",
    },
}

CASE_EXAMPLE = {
    "person": {"age": 34, "sex": "female", "pregnant": True, "trimester": 2, "diet": "vegan"},
    "results": [
        {"test": "b12", "value": 180, "unit": "pmol/L"},
        {"test": "mma", "value": 0.52, "unit": "umol/L"},
    ],
}

CaseBody = Annotated[
    Any,
    Body(
        description="A case: {person, results, date}, the CLI's case JSON.",
        examples=[CASE_EXAMPLE],
    ),
]
LangQuery = Annotated[Lang, Query(description="Language of the texts.")]
PackQuery = Annotated[str, Query(description="Pack id (GET /api/v1/packs lists them).")]

router = APIRouter(prefix="/api/v1", tags=["api"], responses=ERRORS)
open_router = APIRouter(dependencies=[Depends(require_calculators)])


def _knowledge(request: Request) -> Knowledge:
    knowledge: Knowledge = request.app.state.knowledge
    return knowledge


@open_router.post("/assess", response_model=None, responses={200: {"model": AssessmentOut}})
def assess_route(
    request: Request, case: CaseBody, pack: PackQuery = DEFAULT_PACK, lang: LangQuery = Lang.en
) -> Response:
    """Interpret one case under one pack (``cobalamin assess --format json``)."""
    return json_answer(assess_one(case, pack, _knowledge(request)).to_dict(lang.value))


@open_router.post("/compare", response_model=None, responses={200: {"model": list[AssessmentOut]}})
def compare_route(request: Request, case: CaseBody, lang: LangQuery = Lang.en) -> Response:
    """The same case under every pack (``cobalamin compare --format json``)."""
    return json_answer([item.to_dict(lang.value) for item in assess_all(case, _knowledge(request))])


@open_router.post("/workup", response_model=None)
def workup_route(
    request: Request, case: CaseBody, pack: PackQuery = DEFAULT_PACK, lang: LangQuery = Lang.en
) -> Response:
    """Which tests point to the cause (``cobalamin workup --format json``)."""
    return json_answer(workup_dict(case, pack, _knowledge(request), lang.value))


@open_router.post("/screen", response_model=None, responses={200: {"model": ScreeningOut}})
def screen_route(
    request: Request,
    person: Annotated[
        Any,
        Body(
            description="A person (or a case with a person).",
            examples=[{"age": 60, "medications": [{"id": "metformin", "months": 24}]}],
        ),
    ],
    pack: Annotated[list[str] | None, Query(description="Guidelines to ask (repeatable).")] = None,
    lang: LangQuery = Lang.en,
) -> Response:
    """Who to test, each guideline side by side (``cobalamin screen --format json``)."""
    return json_answer(screen_dict(person, pack, _knowledge(request), lang.value))


@open_router.post(
    "/plan",
    response_model=None,
    responses={200: {"content": {"application/json": {}, "text/calendar": {}}}},
)
def plan_route(
    request: Request,
    options: Annotated[
        Any,
        Body(
            description="regimen, start (YYYY-MM-DD) and the options of `cobalamin plan`: "
            "skip_weekends, pregnant, lactating, wish_to_conceive, months, until, "
            "maintenance_form, loading_doses.",
            examples=[{"regimen": "nhg-im-hydroxo", "start": "2026-01-05"}],
        ),
    ],
    lang: LangQuery = Lang.en,
    format: Annotated[PlanFormat, Query(description="json, or ics for a calendar file.")] = (
        PlanFormat.json
    ),
) -> Any:
    """A dated treatment schedule (``cobalamin plan --format json|ics``)."""
    knowledge = _knowledge(request)
    result = make_plan(options, knowledge)
    if format == PlanFormat.ics:
        return Response(
            plan_ics(result, knowledge.texts, lang.value),
            media_type="text/calendar",
            headers={"Content-Disposition": f'attachment; filename="{result.regimen}.ics"'},
        )
    return JSONResponse(result.to_dict(lang.value))


@open_router.post("/follow-up", response_model=None)
def follow_up_route(
    request: Request,
    options: Annotated[
        Any,
        Body(
            description="start and pack or regimen; optional route, response, cause_addressed, "
            "pregnant, lactating, wish_to_conceive (as `cobalamin follow-up`).",
            examples=[{"start": "2026-01-05", "regimen": "nhg-im-hydroxo"}],
        ),
    ],
    lang: LangQuery = Lang.en,
) -> Response:
    """Review dates after starting treatment (``cobalamin follow-up --format json``)."""
    return json_answer(follow_up_dict(options, _knowledge(request), lang.value))


@open_router.post("/intake", response_model=None)
def intake_route(
    diary: Annotated[
        Any,
        Body(
            description="A day's diary {person, meals} (`cobalamin intake`).",
            examples=[
                {
                    "meals": [
                        {"time": "08:00", "items": [{"food": "semi-skimmed milk", "amount_g": 150}]}
                    ]
                }
            ],
        ),
    ],
    authority: Annotated[str | None, Query(description="Reference intake authority.")] = None,
) -> Response:
    """B12 ingested and absorbed per meal (``cobalamin intake --format json``)."""
    return json_answer(intake(diary, authority=authority).to_dict())


@open_router.get("/foods", response_model=None)
def foods_route(
    q: Annotated[str | None, Query(description="Part of an English or Dutch name.")] = None,
) -> list[dict[str, Any]]:
    """The food table, or the foods matching ``q`` (``cobalamin intake --search``)."""
    return food_rows(q)


@open_router.post("/simulate", response_model=None)
def simulate_route(
    request: Request,
    scenario: Annotated[
        Any,
        Body(
            description="A store-model scenario (`cobalamin simulate`).",
            examples=[
                {"days": 365, "person": {"diet": "vegan"}, "intake": {"food_ug_per_day": 0.5}}
            ],
        ),
    ],
) -> Response:
    """Stores and markers over time (``cobalamin simulate --format json``); at most the
    server's ``simulation_max_person_days`` (people x days) per request."""
    settings: Settings = request.app.state.settings
    knowledge = _knowledge(request)
    parsed = parse_scenario(scenario, knowledge)
    people = parsed.population.n if parsed.population else None
    check_simulation_size(parsed.days, people, settings.simulation_max_person_days)
    return json_answer(simulate_scenario(parsed, knowledge, foods=FOODS).to_dict())


@open_router.get("/packs", response_model=None, responses={200: {"model": list[PackOut]}})
def packs_route(request: Request) -> list[dict[str, Any]]:
    """Every pack (``cobalamin packs list --format json``)."""
    return pack_list(_knowledge(request))


@open_router.get("/packs/{pack_id}", response_model=None)
def pack_route(request: Request, pack_id: str, lang: LangQuery = Lang.en) -> dict[str, Any]:
    """A pack's sources, cut-offs and rules (``cobalamin packs show --format json``)."""
    knowledge = _knowledge(request)
    if pack_id not in knowledge.packs.ids():
        raise HTTPException(404, f"no pack {pack_id!r}; GET /api/v1/packs lists them")
    return pack_summary(knowledge.pack(pack_id), lang.value)


@open_router.get("/regimens", response_model=None)
def regimens_route(request: Request, lang: LangQuery = Lang.en) -> list[dict[str, Any]]:
    """The treatment regimens ``plan`` knows."""
    regimens = _knowledge(request).regimens.regimens
    return [
        {"id": key, "title": r.title.text().get(lang.value), "route": r.route, "status": r.status}
        for key, r in regimens.items()
    ]


@open_router.get(
    "/sources",
    response_model=None,
    responses={501: {"model": ErrorResponse, "description": "No bibliography on this server yet."}},
)
def sources_route(request: Request) -> Any:
    """The bibliography (``cobalamin sources``), when the knowledge has one."""
    sources = getattr(_knowledge(request), "sources", None)
    if sources is None:
        return JSONResponse(
            {
                "detail": [
                    {
                        "loc": ["sources"],
                        "msg": "no bibliography in this version",
                        "type": "not_implemented",
                    }
                ]
            },
            status_code=501,
        )
    for name in ("to_dict", "as_dict", "model_dump"):
        method = getattr(sources, name, None)
        if callable(method):
            return method()
    return jsonable_encoder(sources)


router.include_router(open_router)
