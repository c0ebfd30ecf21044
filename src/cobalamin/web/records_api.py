"""The records API under ``/api/v1``: patients, their results (assessed when stored), plans,
doses, timeline, export and erasure, what is due, and the audit trail (admins only).

Every route needs a bearer token or a session (401 without). Roles: ``lab`` may register
patients, find them and post results; ``clinician`` and ``admin`` may do everything with
patients; only ``admin`` reads the audit. Each route commits before it answers, so a 2xx
answer means the write is on disk.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from cobalamin.errors import InputError, KnowledgeError
from cobalamin.storage.audit import audit_entries, record
from cobalamin.storage.due import due_between, week_of
from cobalamin.storage.records import (
    ConflictError,
    NotFoundError,
    add_dose,
    add_plan,
    add_results,
    create_patient,
    erase_patient,
    find_patients,
    patient_record,
    patient_summary,
    read_patient,
    update_patient,
)
from cobalamin.storage.response import response_check
from cobalamin.storage.timeline import timeline_entries
from cobalamin.web.auth import DbSession, Principal, require_role
from cobalamin.web.records_context import records_context
from cobalamin.web.responses import problems

__all__ = ["answer_errors", "router"]

log = logging.getLogger("cobalamin.web.records")

router = APIRouter(prefix="/api/v1", tags=["records"], responses=problems(401, 403, 404, 409, 422))

Staff = Annotated[Principal, Depends(require_role("lab", "clinician", "admin"))]
Clinician = Annotated[Principal, Depends(require_role("clinician", "admin"))]
Admin = Annotated[Principal, Depends(require_role("admin"))]
Lang = Annotated[str, Query(pattern="^(en|nl)$")]
Payload = Annotated[Any, Body()]


@contextmanager
def answer_errors() -> Iterator[None]:
    """cobalamin's errors as HTTP answers naming the field: 422, 404, 409."""
    try:
        yield
    except InputError as exc:
        raise HTTPException(
            422, {"field": exc.field, "message": exc.message, "allowed": exc.allowed}
        ) from None
    except NotFoundError as exc:
        raise HTTPException(404, {"field": "id", "message": str(exc)}) from None
    except ConflictError as exc:
        raise HTTPException(409, {"field": exc.field, "message": exc.message}) from None
    except KnowledgeError as exc:
        raise HTTPException(422, {"field": "pack", "message": str(exc)}) from None
    except IntegrityError:  # a race with another writer; its message may quote stored values
        raise HTTPException(
            409, {"field": "id", "message": "conflicts with a stored record"}
        ) from None


@router.post("/patients", status_code=201)
def post_patient(
    request: Request, session: DbSession, who: Staff, payload: Payload
) -> dict[str, str]:
    context = records_context(request)
    with answer_errors():
        patient = create_patient(
            session, who.actor, payload, context.knowledge, context.settings.default_pack
        )
    session.commit()
    log.info("patient %s created", patient.id)
    return {"id": patient.id}


@router.get("/patients")
def get_patients(
    session: DbSession,
    who: Staff,
    identifier: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,  # the database's integers
) -> dict[str, Any]:
    found = find_patients(session, who.actor, identifier=identifier, limit=limit, offset=offset)
    session.commit()
    return {"patients": [patient_summary(p) for p in found]}


@router.get("/patients/{patient_id}")
def get_patient(session: DbSession, who: Clinician, patient_id: str) -> dict[str, Any]:
    with answer_errors():
        patient = read_patient(session, who.actor, patient_id)
    session.commit()
    return patient_summary(patient)


@router.patch("/patients/{patient_id}")
def patch_patient(
    request: Request, session: DbSession, who: Clinician, patient_id: str, payload: Payload
) -> dict[str, Any]:
    with answer_errors():
        patient = update_patient(
            session, who.actor, patient_id, payload, records_context(request).knowledge
        )
    session.commit()
    return patient_summary(patient)


@router.delete("/patients/{patient_id}", status_code=204)
def delete_patient(session: DbSession, who: Clinician, patient_id: str) -> Response:
    with answer_errors():
        erase_patient(session, who.actor, patient_id)
    session.commit()
    log.info("patient %s erased", patient_id)
    return Response(status_code=204)


@router.post("/patients/{patient_id}/results", status_code=201)
def post_results(
    request: Request,
    session: DbSession,
    who: Staff,
    patient_id: str,
    payload: Payload,
    lang: Lang = "en",
) -> dict[str, Any]:
    with answer_errors():
        sample, stored = add_results(
            session, who.actor, patient_id, payload, records_context(request).knowledge
        )
    session.commit()
    return {
        "sample_id": sample.id,
        "assessment_id": stored.id,
        "pack": stored.pack,
        "pack_sha256": stored.pack_sha256,
        "engine_version": stored.engine_version,
        "assessment": stored.output[lang],
    }


@router.post("/patients/{patient_id}/plans", status_code=201)
def post_plan(
    request: Request,
    session: DbSession,
    who: Clinician,
    patient_id: str,
    payload: Payload,
    lang: Lang = "en",
) -> dict[str, Any]:
    with answer_errors():
        stored = add_plan(
            session, who.actor, patient_id, payload, records_context(request).knowledge
        )
    session.commit()
    return {
        "id": stored.id,
        "plan": stored.schedule[lang],
        "followup": None if stored.followup is None else stored.followup[lang],
    }


@router.post("/patients/{patient_id}/doses", status_code=201)
def post_dose(
    request: Request, session: DbSession, who: Clinician, patient_id: str, payload: Payload
) -> dict[str, str]:
    with answer_errors():
        dose = add_dose(session, who.actor, patient_id, payload, records_context(request).knowledge)
    session.commit()
    return {"id": dose.id}


@router.get("/patients/{patient_id}/timeline")
def get_timeline(
    session: DbSession, who: Clinician, patient_id: str, lang: Lang = "en"
) -> dict[str, Any]:
    with answer_errors():
        data = patient_record(session, who.actor, patient_id, action="patient.timeline")
    session.commit()
    return {"patient": patient_id, "entries": timeline_entries(data, lang)}


@router.get("/patients/{patient_id}/response")
def get_response(
    request: Request, session: DbSession, who: Clinician, patient_id: str, lang: Lang = "en"
) -> dict[str, Any]:
    context = records_context(request)
    with answer_errors():
        data = patient_record(session, who.actor, patient_id, action="patient.response")
    session.commit()
    return response_check(data, context.criteria, context.knowledge, lang).to_dict()


@router.get("/patients/{patient_id}/export", response_model=None)
def get_export(
    request: Request,
    session: DbSession,
    who: Clinician,
    patient_id: str,
    format: str = "json",
) -> JSONResponse:
    context = records_context(request)
    exporters = context.exporters
    if format not in exporters:
        raise HTTPException(
            422,
            {
                "field": "format",
                "message": f"unknown format {format!r}",
                "allowed": ", ".join(sorted(exporters)),
            },
        )
    with answer_errors():
        data = patient_record(session, who.actor, patient_id, action=f"patient.export.{format}")
    session.commit()
    media_type, body = exporters[format](data, context.knowledge)
    return JSONResponse(body, media_type=media_type)


@router.get("/due")
def get_due(
    request: Request,
    session: DbSession,
    who: Clinician,
    day: Annotated[
        str | None,
        Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="A day of the week (YYYY-MM-DD)."),
    ] = None,
    lang: Lang = "en",
) -> dict[str, Any]:
    today = dt.date.today()
    try:
        chosen = dt.date.fromisoformat(day) if day else today
    except ValueError:
        raise HTTPException(422, {"field": "day", "message": f"{day!r} is not a date"}) from None
    start, end = week_of(chosen)
    found = due_between(session, who.actor, end, lang)
    session.commit()
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "items": [
            {**item.to_dict(today), "identifier": patient.identifier, "name": patient.name}
            for patient, item in found
        ],
    }


@router.get("/audit")
def get_audit(
    session: DbSession,
    who: Admin,
    patient: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> dict[str, Any]:
    entries = audit_entries(session, patient_id=patient, limit=limit)
    record(session, who.actor, "audit.read", patient)
    session.commit()
    return {"entries": entries}
