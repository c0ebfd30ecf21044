"""The whole server: the web application with records (accounts, patients, audit) and the EHR
services (FHIR ``$interpret``, CDS Hooks) on one app, as ``cobalamin serve`` runs it.

    build_app(settings)  =  create_app          pages, JSON calculators, lab jobs
                          + install_records     login, bearer tokens, records API and pages,
                                                /account/password, /admin/users (admins)
                          + install_ehr         /fhir/$interpret (bearer token), /cds-services
                          + site_packs          /admin/packs, /api/v1/site-packs (admins)
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request

from cobalamin.defaults import knowledge_for
from cobalamin.interop.fhir_record import record_bundle
from cobalamin.knowledge.registry import Knowledge
from cobalamin.storage.feedback import DatabaseFeedbackStore
from cobalamin.web import auth, site_packs
from cobalamin.web.app import create_app
from cobalamin.web.ehr import install_ehr
from cobalamin.web.records import install_records, register_exporter
from cobalamin.web.records_context import ExportResult, records_context
from cobalamin.web.settings import Settings

__all__ = ["build_app", "signed_in_user"]


def signed_in_user(request: Request) -> auth.Principal | None:
    """The web app's "who is asking" hook, answered by the records' sessions and tokens."""
    if getattr(request.app.state, "records", None) is None:
        return None
    with records_context(request).read_sessions() as session:
        return auth.authenticate(request, session)


def build_app(settings: Settings, knowledge: Knowledge | None = None) -> FastAPI:
    """The server ``cobalamin serve`` runs."""
    if knowledge is None:  # the site packs uploaded through the web are one more site folder
        settings.site_pack_dir.mkdir(parents=True, exist_ok=True)
        knowledge = knowledge_for((*settings.pack_path, settings.site_pack_dir))
    app = create_app(settings, knowledge, user_loader=signed_in_user)
    # The lab pages and their jobs' API hold patient data: signed-in users only.
    context = install_records(
        app, settings, app.state.knowledge, protected_prefixes=("/lab", "/api/v1/jobs")
    )
    install_ehr(
        app,
        public_url=settings.public_url,
        trust_file=settings.cds_trust,
        bearer_dependency=auth.api_principal,
        knowledge=app.state.knowledge,
        feedback_store=DatabaseFeedbackStore(context.sessions),
        redis_url=settings.redis_url,
    )

    app.include_router(site_packs.api_router)
    app.include_router(site_packs.page_router)
    register_exporter(app, "fhir", fhir_export)
    return app


def fhir_export(record: dict[str, Any], knowledge: Knowledge, lang: str = "en") -> ExportResult:
    """A stored record (``storage.records.patient_record``) as a FHIR R4 Bundle; assessments
    are stored in every language, the Bundle's texts are in ``lang``."""
    patient = dict(record["patient"])
    patient["identifier"] = {"value": patient["identifier"]} if patient.get("identifier") else None
    dates = {s["id"]: s["sample_date"] for s in record["samples"]}
    results = [{**r, "date": s["sample_date"]} for s in record["samples"] for r in s["results"]]
    assessments = [
        {
            **a["output"][lang],
            "pack": a["pack"],
            "pack_sha256": a["pack_sha256"],
            "engine_version": a["engine_version"],
            "date": dates.get(a["sample_id"]),
        }
        for a in record["assessments"]
    ]
    return "application/fhir+json", record_bundle(
        patient, results, assessments, knowledge=knowledge, lang=lang
    )
