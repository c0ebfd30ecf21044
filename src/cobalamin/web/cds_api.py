"""CDS Hooks 2.0 over HTTP: discovery, the services, feedback, and CORS for browser clients.

    GET  /cds-services                 discovery (no patient data; a token is checked only
                                       when ``require_token_for_discovery``)
    POST /cds-services/{id}            a hook call: the EHR's JWT is verified with ``aud`` =
                                       ``{public_url}/cds-services/{id}``
    POST /cds-services/{id}/feedback   feedback, ``aud`` = ``.../{id}/feedback``; 200, no body

Any token problem is a bare 401 (with ``WWW-Authenticate: Bearer``): "it should not leak the
details of why the JWT failed validation" (CDS Hooks security best practices). Then: unknown
service 404, bad request 400, prefetch neither sent nor fetchable 412 (each with an
OperationOutcome). Missing prefetch is fetched from ``fhirServer`` over https only, with the
given ``fhirAuthorization`` token, which is used for that request and never kept or logged.

CORS (``CdsCors``): browser clients such as the CDS Hooks Sandbox call cross-origin with an
``Authorization`` header, so the browser first sends a preflight ``OPTIONS`` without it; the
preflight is answered without authentication, for the configured origins only.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cobalamin.errors import InputError
from cobalamin.interop.cds_hooks import CdsHooks, UnknownService
from cobalamin.interop.cds_hooks_feedback import FeedbackStore, parse_feedback
from cobalamin.interop.cds_hooks_prefetch import Fetch, FetchError, PrefetchUnavailable
from cobalamin.interop.fhir import operation_outcome
from cobalamin.interop.jwt_trust import AuthError, CdsTokenVerifier
from cobalamin.web.fhir_api import preferred_language
from cobalamin.web.ratelimit import client_address, rate_limits, too_many
from cobalamin.web.responses import OPERATION_OUTCOME, problems

__all__ = ["CdsCors", "cds_router", "fhir_fetcher"]

PREFIX = "/cds-services"


def fhir_fetcher(verify: ssl.SSLContext | bool = True, timeout: float = 3.0) -> Fetch:
    """GET a FHIR URL (https only) with the EHR's access token; FetchError on any failure."""
    import httpx

    def fetch(url: str, token: str | None) -> Any:
        if urlsplit(url).scheme != "https":
            raise FetchError("the FHIR server is not https")
        headers = {"Accept": "application/fhir+json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = httpx.get(url, headers=headers, timeout=timeout, verify=verify)
        except httpx.HTTPError as exc:
            raise FetchError(type(exc).__name__) from None
        if response.status_code != 200:
            raise FetchError(f"status {response.status_code}")
        try:
            return response.json()
        except ValueError:
            raise FetchError("not JSON") from None

    return fetch


def _unauthorised() -> Response:
    return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})


def _problem(status: int, error: InputError, code: str = "invalid") -> JSONResponse:
    return JSONResponse(operation_outcome(error, code), status_code=status)


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise InputError("body", "is not JSON") from None


def cds_router(
    hooks: CdsHooks,
    *,
    verifier: CdsTokenVerifier,
    feedback: FeedbackStore,
    fetch: Fetch | None,
    require_token_for_discovery: bool = False,
) -> APIRouter:
    outcome = {"content": {"application/json": OPERATION_OUTCOME}}
    answers: dict[int | str, dict[str, Any]] = {
        401: {"description": "The JWT is missing or not valid (no details, by design)."},
        404: {"description": "No such CDS service.", **outcome},
        **problems(429),
    }
    call_answers: dict[int | str, dict[str, Any]] = {
        400: {"description": "Not a valid hook request.", **outcome},
        412: {"description": "Prefetch neither sent nor fetchable.", **outcome},
    }
    router = APIRouter(prefix=PREFIX, tags=["CDS Hooks 2.0"], responses=answers)
    base = hooks.public_url + PREFIX

    async def verified(request: Request, audience: str) -> dict[str, Any]:
        # failed JWTs count per address; over the limit, 429 before the next is checked
        failures = rate_limits(request).token_failures
        key = "cds:" + client_address(request)
        wait = failures.blocked(key)
        if wait is not None:
            raise too_many(wait, "failed tokens")
        header = request.headers.get("authorization")
        try:
            return await run_in_threadpool(verifier.verify, header, audience)
        except AuthError:
            failures.hit(key)
            raise

    @router.get("", summary="CDS Hooks discovery")
    async def discovery(request: Request) -> Response:
        if require_token_for_discovery:
            try:
                await verified(request, base)
            except AuthError:
                return _unauthorised()
        lang = preferred_language(None, request.headers.get("accept-language"))
        return JSONResponse(hooks.discovery(lang))

    @router.post("/{service_id}", summary="Call a CDS service", responses=call_answers)
    async def call(service_id: str, request: Request) -> Response:
        try:
            await verified(request, f"{base}/{service_id}")
        except AuthError:
            return _unauthorised()
        lang = preferred_language(None, request.headers.get("accept-language"))
        try:
            hooks.hooks(service_id)
            body = await _json(request)
            answer = await run_in_threadpool(hooks.call, service_id, body, fetch, lang=lang)
        except UnknownService:
            return _problem(404, InputError("id", f"no CDS service {service_id!r}"), "not-found")
        except PrefetchUnavailable as exc:
            message = "is neither in the prefetch nor available from the FHIR server"
            return _problem(412, InputError(f"prefetch.{exc.key}", message), "not-found")
        except InputError as exc:
            return _problem(400, exc)
        return JSONResponse(answer)

    @router.post(
        "/{service_id}/feedback",
        summary="Feedback on the cards of a CDS service",
        responses={400: call_answers[400]},
    )
    async def store_feedback(service_id: str, request: Request) -> Response:
        try:
            claims = await verified(request, f"{base}/{service_id}/feedback")
        except AuthError:
            return _unauthorised()
        try:
            hooks.hooks(service_id)
            items = parse_feedback(
                service_id,
                await _json(request),
                iss=str(claims.get("iss")),
                tenant=claims.get("tenant") if isinstance(claims.get("tenant"), str) else None,
            )
        except UnknownService:
            return _problem(404, InputError("id", f"no CDS service {service_id!r}"), "not-found")
        except InputError as exc:
            return _problem(400, exc)
        await run_in_threadpool(feedback.add, items)
        return Response(status_code=200)

    return router


class CdsCors:
    """CORS for ``/cds-services`` only: preflights answered without authentication, and
    ``Access-Control-Allow-Origin`` on responses, for the listed origins (``*`` for any).
    ``private_network`` also answers Chrome's Private Network Access preflight (development:
    a public Sandbox page calling a service on localhost)."""

    def __init__(
        self, app: ASGIApp, origins: Sequence[str] = (), private_network: bool = False
    ) -> None:
        self.app = app
        self.origins = tuple(origins)
        self.private_network = private_network

    def _allowed(self, origin: str | None) -> str | None:
        if origin is None:
            return None
        if "*" in self.origins:
            return "*"
        return origin if origin in self.origins else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        allowed = self._allowed(headers.get("origin"))
        preflight = scope["method"] == "OPTIONS" and "access-control-request-method" in headers
        if preflight:
            response_headers = {"Vary": "Origin"}
            if allowed is not None:
                response_headers |= {
                    "Access-Control-Allow-Origin": allowed,
                    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                    "Access-Control-Allow-Headers": "Authorization, Content-Type, Accept",
                    "Access-Control-Max-Age": "600",
                }
                if self.private_network and "access-control-request-private-network" in headers:
                    response_headers["Access-Control-Allow-Private-Network"] = "true"
            await Response(status_code=204 if allowed else 403, headers=response_headers)(
                scope, receive, send
            )
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start" and allowed is not None:
                extra = [
                    (b"access-control-allow-origin", allowed.encode("latin-1")),
                    (b"vary", b"Origin"),
                ]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_cors)
