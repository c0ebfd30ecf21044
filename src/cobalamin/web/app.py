"""``create_app``: the FastAPI application of ``cobalamin serve``.

The application is a list of routers over one ``Knowledge`` and one ``Settings``; later issues
(records and login, FHIR and CDS Hooks) pass their routers in ``routers`` and their pages add
links with ``nav``. Every response carries security headers: no inline script is allowed
(JavaScript lives in ``static/``), the pages may not be framed, and nothing is loaded from
anywhere but this server.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException  # also the router's own 404 and 405
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cobalamin.defaults import knowledge_for
from cobalamin.errors import InputError, KnowledgeError
from cobalamin.knowledge.registry import Knowledge
from cobalamin.version import ENGINE_VERSION
from cobalamin.web.access import UserLoader, anonymous
from cobalamin.web.api import router as api_router
from cobalamin.web.i18n import LANGUAGES
from cobalamin.web.jobs import JobRunner
from cobalamin.web.lab import router as lab_router
from cobalamin.web.limits import BodyLimit, TimeLimit
from cobalamin.web.pages import NavItem, default_nav, error_page
from cobalamin.web.pages import router as pages_router
from cobalamin.web.ratelimit import RateLimits
from cobalamin.web.responses import with_limit_answers
from cobalamin.web.settings import Settings

__all__ = ["SecurityHeaders", "create_app", "input_error_body", "security_headers"]

STATIC_DIR = Path(__file__).parent / "static"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)


def security_headers(settings: Settings) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }
    if settings.https:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers


class SecurityHeaders:
    """The security headers on every response (unless a route set its own), and the
    language cookie when ``?lang=`` chose another language. A plain ASGI middleware: it
    neither wraps the request body nor runs the app in another task."""

    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        lang = request.query_params.get("lang")
        cookie = None
        if lang in LANGUAGES and request.cookies.get("lang") != lang:
            cookie = f"lang={lang}; Max-Age={365 * 24 * 3600}; Path=/; SameSite=lax".encode()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                if cookie is not None:
                    extra.append((b"set-cookie", cookie))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def input_error_body(exc: InputError | KnowledgeError) -> dict[str, object]:
    """The 422 body of an input error: the CLI's field, message and allowed values."""
    if isinstance(exc, InputError):
        item: dict[str, object] = {"loc": [exc.field], "msg": exc.message, "type": "input_error"}
        if exc.allowed:
            item["allowed"] = exc.allowed
    else:
        item = {"loc": [exc.where], "msg": exc.message, "type": "knowledge_error"}
    return {"detail": [item], "message": str(exc)}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "text/html" not in request.headers.get(
        "accept", ""
    )


def _allowed_methods(app: FastAPI, path: str) -> str:
    methods: set[str] = set()
    for context in iter_route_contexts(app.routes):
        if context.methods and context.path and compile_path(context.path)[0].match(path):
            methods |= context.methods
    return ", ".join(sorted(methods))


def create_app(
    settings: Settings,
    knowledge: Knowledge | None = None,
    *,
    routers: Sequence[APIRouter] = (),
    nav: Sequence[NavItem] = (),
    user_loader: UserLoader = anonymous,
) -> FastAPI:
    """The web application: pages, JSON API, lab jobs, and any extra ``routers``."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.jobs.shutdown()

    app = FastAPI(
        lifespan=lifespan,
        title="cobalamin",
        version=ENGINE_VERSION,
        description="Decision support for vitamin B12 deficiency: the command line's answers "
        "as a JSON API, and pages for patients, clinicians and laboratories. Output is "
        "decision support for professionals, never a diagnosis.",
        docs_url=None,  # the interactive docs load scripts from a CDN: not on this server
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.knowledge = knowledge if knowledge is not None else knowledge_for(settings.pack_path)
    app.state.user_loader = user_loader
    app.state.nav = [*default_nav(settings), *nav]
    app.state.jobs = JobRunner(settings)
    app.state.rate_limits = RateLimits.from_settings(settings)
    headers = security_headers(settings)

    def respond(request: Request, status: int, message: str, extra: dict[str, str]) -> Response:
        """An error answered by a middleware, in the form of the app's own errors."""
        response: Response = JSONResponse({"detail": message}, status_code=status)
        if not _wants_json(request):
            with contextlib.suppress(Exception):  # the page needs the app; JSON never fails
                response = error_page(request, status, message)
        response.headers.update({**headers, **extra})
        return response

    app.add_middleware(SecurityHeaders, headers=headers)
    app.add_middleware(
        TimeLimit,
        seconds=settings.request_timeout_seconds,
        respond=respond,
        exempt=("/lab", "/static"),  # uploads may take long to arrive; downloads stream
    )
    app.add_middleware(
        BodyLimit,
        default=settings.max_body_bytes,
        uploads={"/lab": settings.lab_max_upload_bytes},
        respond=respond,
    )

    @app.exception_handler(InputError)
    @app.exception_handler(KnowledgeError)
    async def input_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, InputError | KnowledgeError)
        if _wants_json(request):
            return JSONResponse(input_error_body(exc), status_code=422)
        return error_page(request, 422, str(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        answer_headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method of the path, not only the first route's
            answer_headers["Allow"] = _allowed_methods(app, request.url.path)
        if _wants_json(request):
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=answer_headers
            )
        page = error_page(request, exc.status_code, str(exc.detail))
        page.headers.update(answer_headers)  # Retry-After, WWW-Authenticate, Allow
        return page

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        if _wants_json(request):
            return JSONResponse({"detail": errors}, status_code=422)
        return error_page(request, 422, "; ".join(str(e["msg"]) for e in errors))

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> Response:
        # a bug: one line, never a traceback (and nothing of the request in it)
        message = f"internal error ({type(exc).__name__})"
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=500)
        return error_page(request, 500, message)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = with_limit_answers(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        """The server answers."""
        return {"status": "ok"}

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in (api_router, lab_router, pages_router, *routers):
        app.include_router(router)

    return app
