"""The records pages: patient search, a new patient, a patient's timeline with the trend chart
and the response check, forms for results, plans and doses, and who is due this week.

Every page needs a signed-in clinician or admin; every form that changes data carries the
session's CSRF token (checked for the whole router by ``auth.csrf_protected``). Searching is a
POST, so that an identifier never appears in a URL, a browser history or an access log.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from cobalamin.errors import InputError
from cobalamin.storage.due import due_between, week_of
from cobalamin.storage.records import (
    ConflictError,
    NotFoundError,
    add_dose,
    add_plan,
    add_results,
    create_patient,
    find_patients,
    patient_record,
)
from cobalamin.storage.response import response_check
from cobalamin.storage.timeline import timeline_entries
from cobalamin.web.auth import (
    DbSession,
    Principal,
    csrf_protected,
    page_principal,
    require_page_role,
)
from cobalamin.web.records_chart import CHART_TESTS, trend_svg
from cobalamin.web.records_context import RecordsContext, records_context

__all__ = ["router"]

router = APIRouter(
    include_in_schema=False,
    dependencies=[Depends(csrf_protected), Depends(require_page_role("clinician", "admin"))],
)

Who = Annotated[Principal, Depends(page_principal)]
FormText = Annotated[str, Form()]


def _lang(request: Request) -> str:
    return "nl" if request.query_params.get("lang") == "nl" else "en"


def _render(
    request: Request, who: Principal, template: str, status: int = 200, **values: Any
) -> HTMLResponse:
    context = records_context(request)
    return context.templates.TemplateResponse(
        request,
        template,
        {
            "lang": _lang(request),
            "t": context.texts,
            "k": context.knowledge.texts,
            "user": who.user,
            "csrf": who.csrf_token or "",
            **values,
        },
        status_code=status,
    )


def _back(path: str, request: Request) -> RedirectResponse:
    suffix = "?lang=nl" if _lang(request) == "nl" else ""
    return RedirectResponse(path + suffix, status_code=303)


def _error(exc: InputError | ConflictError) -> dict[str, str]:
    allowed = exc.allowed if isinstance(exc, InputError) else ""
    return {"field": exc.field, "message": exc.message, "allowed": allowed}


@router.get("/patients")
def search_page(request: Request, who: Who) -> HTMLResponse:
    return _render(request, who, "search.html", found=None)


@router.post("/patients/search")
def search(
    request: Request, session: DbSession, who: Who, identifier: FormText = ""
) -> HTMLResponse:
    found = find_patients(session, who.actor, identifier=identifier.strip()) if identifier else []
    session.commit()
    return _render(request, who, "search.html", found=found)


def _new_patient_values(context: RecordsContext) -> dict[str, Any]:
    return {"packs": context.knowledge.packs.ids(), "default_pack": context.settings.default_pack}


@router.get("/patients/new")
def new_patient_page(request: Request, who: Who) -> HTMLResponse:
    context = records_context(request)
    return _render(request, who, "new_patient.html", error=None, **_new_patient_values(context))


@router.post("/patients/new", response_model=None)
def new_patient(
    request: Request,
    session: DbSession,
    who: Who,
    identifier: FormText = "",
    name: FormText = "",
    birth_date: FormText = "",
    sex: FormText = "",
    pack: FormText = "",
    pregnant: FormText = "",
    lactating: FormText = "",
) -> Response:
    context = records_context(request)
    person = {"pregnant": pregnant == "on", "lactating": lactating == "on"}
    data = {
        "identifier": identifier,
        "name": name or None,
        "birth_date": birth_date,
        "sex": sex or None,
        "pack": pack or context.settings.default_pack,
        "person": {k: v for k, v in person.items() if v},
    }
    try:
        patient = create_patient(
            session, who.actor, data, context.knowledge, context.settings.default_pack
        )
    except (InputError, ConflictError) as exc:
        session.rollback()
        return _render(
            request,
            who,
            "new_patient.html",
            422,
            error=_error(exc),
            **_new_patient_values(context),
        )
    session.commit()
    return _back(f"/patients/{patient.id}", request)


def _patient_page(
    request: Request,
    session: DbSession,
    who: Principal,
    patient_id: str,
    error: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    context = records_context(request)
    lang = _lang(request)
    data = patient_record(session, who.actor, patient_id, action="patient.page")
    session.commit()
    knowledge = context.knowledge
    forms = sorted(
        {o.form for r in knowledge.regimens.regimens.values() for o in r.maintenance.options}
        | {r.loading.form for r in knowledge.regimens.regimens.values() if r.loading}
    )
    return _render(
        request,
        who,
        "patient.html",
        status,
        record=data,
        patient=data["patient"],
        entries=timeline_entries(data, lang),
        chart=Markup(trend_svg(data, knowledge, context.texts, lang)),  # built with escape()
        check=response_check(data, context.criteria, knowledge, lang),
        tests=[(t, knowledge.analytes[t].example_units) for t in CHART_TESTS],
        regimens=[
            (key, r.title.get(lang)) for key, r in sorted(knowledge.regimens.regimens.items())
        ],
        forms=forms,
        plans=data["plans"],
        today=dt.date.today().isoformat(),
        error=error,
    )


@router.get("/patients/{patient_id}", response_model=None)
def patient_page(request: Request, session: DbSession, who: Who, patient_id: str) -> Response:
    try:
        return _patient_page(request, session, who, patient_id)
    except NotFoundError:
        return _render(request, who, "not_found.html", 404)


def _store(
    request: Request,
    session: DbSession,
    who: Principal,
    patient_id: str,
    action: Any,
    data: dict[str, Any],
) -> Response:
    try:
        action(session, who.actor, patient_id, data, records_context(request).knowledge)
    except (InputError, ConflictError) as exc:
        session.rollback()
        return _patient_page(request, session, who, patient_id, _error(exc), 422)
    session.commit()
    return _back(f"/patients/{patient_id}", request)


@router.post("/patients/{patient_id}/results", response_model=None)
async def results_form(request: Request, session: DbSession, who: Who, patient_id: str) -> Response:
    form = await request.form()
    results = []
    for test in CHART_TESTS:
        value = str(form.get(test, "")).strip()
        if value:
            results.append(
                {"test": test, "value": value, "unit": str(form.get(f"{test}_unit", ""))}
            )
    data = {"sample_date": str(form.get("sample_date", "")) or None, "results": results}
    return await run_in_threadpool(_store, request, session, who, patient_id, add_results, data)


@router.post("/patients/{patient_id}/plans", response_model=None)
def plan_form(
    request: Request,
    session: DbSession,
    who: Who,
    patient_id: str,
    regimen: FormText = "",
    start: FormText = "",
) -> Response:
    data = {"regimen": regimen or None, "start": start or None}
    return _store(request, session, who, patient_id, add_plan, data)


@router.post("/patients/{patient_id}/doses", response_model=None)
def dose_form(
    request: Request,
    session: DbSession,
    who: Who,
    patient_id: str,
    date: FormText = "",
    dose_ug: FormText = "",
    route: FormText = "",
    form: FormText = "",
    plan_id: FormText = "",
) -> Response:
    try:
        amount: Any = float(dose_ug)
    except ValueError:
        amount = dose_ug
    data = {
        "date": date or None,
        "dose_ug": amount,
        "route": route,
        "form": form,
        "plan_id": plan_id or None,
    }
    return _store(request, session, who, patient_id, add_dose, data)


@router.get("/due")
def due_page(
    request: Request, session: DbSession, who: Who, day: dt.date | None = None
) -> HTMLResponse:
    today = dt.date.today()
    start, end = week_of(day or today)
    found = due_between(session, who.actor, end, _lang(request))
    session.commit()
    return _render(
        request,
        who,
        "due.html",
        items=[(patient, item, item.overdue(today)) for patient, item in found],
        start=start,
        end=end,
        previous=(start - dt.timedelta(days=7)).isoformat(),
        next=(start + dt.timedelta(days=7)).isoformat(),
    )
