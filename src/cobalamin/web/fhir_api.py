"""``POST /fhir/$interpret?pack=ID``: an R4 Bundle in, the interpretation as an R4 Bundle out.

Behind the records' bearer-token check (the ``bearer_dependency`` given to ``install_ehr``):
no token, no answer (401). The conclusion's language is ``?lang=`` or else the best of
``Accept-Language`` (en, nl). Bad input is a 422 OperationOutcome naming the FHIR field
(400 when the body is not JSON); the body is never logged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from cobalamin.errors import InputError
from cobalamin.interop.fhir import Interpreter, operation_outcome
from cobalamin.web.responses import OPERATION_OUTCOME, problems

__all__ = ["FHIR_JSON", "fhir_router", "preferred_language"]

FHIR_JSON = "application/fhir+json"
LANGUAGES = ("en", "nl")


def preferred_language(query: str | None, accept_language: str | None) -> str:
    """``?lang=`` if it is en or nl, else the first of those in Accept-Language (by q), else en."""
    if query in LANGUAGES:
        return str(query)
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower().split("-")[0]))
    return next((lang for _, _, lang in sorted(ranked) if lang in LANGUAGES), "en")


def _fhir(status: int, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=FHIR_JSON)


def fhir_router(interpreter: Interpreter, *, bearer_dependency: Callable[..., Any]) -> APIRouter:
    router = APIRouter(prefix="/fhir", tags=["FHIR R4"], dependencies=[Depends(bearer_dependency)])
    knowledge = interpreter.knowledge

    @router.post(
        "/$interpret",
        summary="Interpret a Bundle of lab Observations under a pack (FHIR R4)",
        response_class=JSONResponse,
        responses={
            200: {"content": {FHIR_JSON: {"schema": {"type": "object"}}}},
            400: {
                "description": "The body is not JSON.",
                "content": {FHIR_JSON: OPERATION_OUTCOME},
            },
            **problems(401),
            422: {
                "description": "Bad input: an OperationOutcome naming the FHIR field.",
                "content": {FHIR_JSON: OPERATION_OUTCOME},
            },
        },
    )
    async def interpret(
        request: Request, pack: str | None = None, lang: str | None = None
    ) -> JSONResponse:
        language = preferred_language(lang, request.headers.get("accept-language"))
        try:
            data = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            return _fhir(400, operation_outcome(InputError("body", "is not JSON"), "structure"))
        try:
            if not pack:
                raise InputError("pack", "is required", ", ".join(knowledge.packs.ids()))
            chosen = knowledge.pack(pack)
            out = await run_in_threadpool(interpreter.interpret, data, chosen, lang=language)
        except InputError as exc:
            return _fhir(422, operation_outcome(exc))
        return _fhir(200, out)

    return router
