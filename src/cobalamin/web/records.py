"""Records on a FastAPI app: ``install_records(app, settings)`` upgrades the database, adds the
login, API and page routes, the login requirement for other pages (the lab upload page) and
keeps personal data out of the server's logs.

The web app wires it in with one call; ``create_records_app`` builds a records-only app (for
tests, and ``uvicorn --factory cobalamin.web.records:app_from_environment``).
"""

from __future__ import annotations

import copy
import logging
import secrets
import traceback
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from itsdangerous import URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from cobalamin.defaults import default_knowledge
from cobalamin.errors import KnowledgeError
from cobalamin.knowledge.registry import Knowledge
from cobalamin.knowledge.texts import Texts
from cobalamin.storage.database import (
    database_url,
    make_engine,
    make_read_sessionmaker,
    make_sessionmaker,
)
from cobalamin.storage.migrate import upgrade
from cobalamin.storage.response import load_criteria
from cobalamin.units import to_canonical
from cobalamin.web import account, admin_users, auth, records_api, records_pages
from cobalamin.web.records_context import (
    TEMPLATES,
    ExportResult,
    RecordsContext,
    RecordsSettings,
)

__all__ = [
    "RedactedErrors",
    "RequireLogin",
    "StripQueryStrings",
    "app_from_environment",
    "create_records_app",
    "install_records",
    "json_export",
    "log_config",
    "quiet_logs",
    "register_exporter",
    "warm_up",
]

log = logging.getLogger("cobalamin.web.records")


class StripQueryStrings(logging.Filter):
    """Access-log lines without query strings: ``GET /api/v1/patients?identifier=...`` is logged
    as ``GET /api/v1/patients``. Paths carry only internal ids, so they may stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


class RedactedErrors(logging.Filter):
    """An exception in a log record keeps its type and where it happened, not its message: a
    database error's message can quote the stored values (an identifier, a birth date)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            frames = "".join(traceback.format_tb(error.__traceback__))
            record.msg = f"{record.getMessage()}\n{frames}{type(error).__name__} (message withheld)"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def quiet_logs() -> None:
    """Add the filters to uvicorn's loggers (once). uvicorn's own set-up keeps them."""
    for name, kind in (("uvicorn.access", StripQueryStrings), ("uvicorn.error", RedactedErrors)):
        logger = logging.getLogger(name)
        if not any(isinstance(f, kind) for f in logger.filters):
            logger.addFilter(kind())


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with the filters on its handlers, for ``uvicorn.run(...,
    log_config=log_config())``: records propagated from any logger are filtered too."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {
        "strip_query": {"()": f"{__name__}.StripQueryStrings"},
        "redact_errors": {"()": f"{__name__}.RedactedErrors"},
    }
    config["handlers"]["access"]["filters"] = ["strip_query"]
    config["handlers"]["default"]["filters"] = ["redact_errors"]
    return config


class RequireLogin:
    """Pages under these path prefixes need a signed-in user (or a bearer token): a page GET
    goes to the login page, an API call or anything else gets 401."""

    def __init__(self, app: ASGIApp, prefixes: tuple[str, ...]) -> None:
        self.app = app
        self.prefixes = prefixes

    def _covers(self, path: str) -> bool:
        return any(path == p or path.startswith(p.rstrip("/") + "/") for p in self.prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._covers(scope["path"]):
            request = Request(scope)
            if not await run_in_threadpool(self._signed_in, request):
                if request.method in ("GET", "HEAD") and not scope["path"].startswith("/api/"):
                    target = f"/login?next={quote(scope['path'])}"
                    await RedirectResponse(target, status_code=303)(scope, receive, send)
                else:
                    answer = JSONResponse({"detail": "sign in first"}, status_code=401)
                    await answer(scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _signed_in(request: Request) -> bool:
        context = request.app.state.records
        with context.read_sessions() as session:
            return auth.authenticate(request, session) is not None


def warm_up(knowledge: Knowledge) -> None:
    """Load every pack, rule file and unit conversion the records routes use, once, before any
    request: the routes run in a thread pool, and the unit registry behind ``cobalamin.units``
    is built lazily without a lock (two threads building it at once fail with "unknown unit")."""
    for pack_id in knowledge.packs.ids():
        try:
            knowledge.pack(pack_id)
        except KnowledgeError as exc:  # a broken site pack fails when used, not at start
            log.warning("pack %s does not load: %s", pack_id, exc)
    for analyte in knowledge.analytes.values():
        for unit in analyte.example_units:
            to_canonical(analyte, 1.0, unit)
    for part in ("vocabulary", "safety", "alerts", "cb12", "regimens", "followup", "texts"):
        getattr(knowledge, part)


def json_export(record: dict[str, Any], knowledge: Knowledge) -> ExportResult:
    """The default export: everything stored, as JSON."""
    return "application/json", record


def register_exporter(app: FastAPI, name: str, exporter: Any) -> None:
    """Add an export format (``GET /api/v1/patients/{id}/export?format=NAME``); the EHR work
    adds ``fhir`` (a FHIR R4 Bundle) here."""
    app.state.records.exporters[name] = exporter


def install_records(
    app: FastAPI,
    settings: object | None = None,
    knowledge: Knowledge | None = None,
    **overrides: Any,
) -> RecordsContext:
    """Upgrade the database and add the records routes to ``app``. ``settings`` is any object
    with some of ``RecordsSettings``' field names (the web app's ``Settings``)."""
    chosen = RecordsSettings.from_settings(settings, **overrides)
    engine = make_engine(database_url(chosen.db_url))
    upgrade(engine)
    knowledge = knowledge if knowledge is not None else default_knowledge()
    warm_up(knowledge)
    context = RecordsContext(
        settings=chosen,
        engine=engine,
        sessions=make_sessionmaker(engine),
        read_sessions=make_read_sessionmaker(engine),
        knowledge=knowledge,
        texts=Texts.load(TEMPLATES / "texts.yaml"),
        criteria=load_criteria(),
        templates=Jinja2Templates(directory=str(TEMPLATES)),
        signer=URLSafeTimedSerializer(
            chosen.secret_key or secrets.token_urlsafe(32), salt="cobalamin-sso"
        ),
        exporters={"json": json_export},
    )
    if chosen.sso_enabled:
        assert chosen.oidc_issuer is not None and chosen.oidc_client_id is not None
        context.sso = auth.OidcClient(
            chosen.oidc_issuer,
            chosen.oidc_client_id,
            chosen.oidc_client_secret,
            scopes=chosen.oidc_scopes,
        )
    app.state.records = context
    app.include_router(auth.router)
    app.include_router(records_api.router)
    app.include_router(records_pages.router)
    app.include_router(account.router)
    app.include_router(admin_users.router)
    app.add_exception_handler(auth.LoginRequired, auth.login_redirect)
    if chosen.protected_prefixes:
        app.add_middleware(RequireLogin, prefixes=chosen.protected_prefixes)
    quiet_logs()
    log.info("records installed (%s)", engine.dialect.name)
    return context


def create_records_app(
    db_url: str | None = None, knowledge: Knowledge | None = None, **settings: Any
) -> FastAPI:
    """A records-only app (until the web app includes records)."""
    app = FastAPI(title="cobalamin records", docs_url=None, redoc_url=None)
    install_records(app, None, knowledge, db_url=db_url, **settings)
    return app


def app_from_environment() -> FastAPI:
    """For ``uvicorn --factory``: settings from ``COBALAMIN_*`` environment variables."""
    return create_records_app()
