"""What the records routes share: their settings and, once installed, one ``RecordsContext``
on ``app.state.records`` (database, knowledge, texts, templates, exporters, single sign-on)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cobalamin.errors import InputError
from cobalamin.knowledge.registry import Knowledge
from cobalamin.knowledge.texts import Texts
from cobalamin.storage.response import ResponseCriteria
from cobalamin.web.settings import RECENT_SIGN_IN_MINUTES, positive_number

__all__ = [
    "TEMPLATES",
    "ExportResult",
    "Exporter",
    "RecordsContext",
    "RecordsSettings",
    "records_context",
]

TEMPLATES = Path(__file__).parent / "templates" / "records"

# An exporter turns ``storage.records.patient_record`` output into (media type, JSON-ready body).
ExportResult = tuple[str, Any]
Exporter = Callable[[dict[str, Any], Knowledge], ExportResult]

_ENV = {  # settings that may also come from the environment (deployment secrets)
    "db_url": "COBALAMIN_DATABASE_URL",
    "public_url": "COBALAMIN_PUBLIC_URL",
    "secret_key": "COBALAMIN_SECRET_KEY",
    "oidc_issuer": "COBALAMIN_OIDC_ISSUER",
    "oidc_client_id": "COBALAMIN_OIDC_CLIENT_ID",
    "oidc_client_secret": "COBALAMIN_OIDC_CLIENT_SECRET",
}
_ENV_NUMBERS = {  # numbers that may come from the environment (a positive number each)
    "recent_sign_in_minutes": "COBALAMIN_RECENT_SIGN_IN_MINUTES",
}


@dataclass(frozen=True)
class RecordsSettings:
    """The records part of the server's settings. ``from_settings`` reads the same names off
    any settings object (the web app's ``Settings``), then the environment."""

    db_url: str | None = None
    public_url: str | None = None
    default_pack: str = "nice-ng239"  # the command line's default pack
    # cobalamin's own choice: a signed-in session lasts one working shift.
    session_hours: float = 12.0
    # cobalamin's own choice: an admin's account changes (/admin/users) need a session signed
    # in within this many minutes; an older one is sent to sign in again (OWASP ASVS V3.7.1).
    recent_sign_in_minutes: float = RECENT_SIGN_IN_MINUTES
    # Signs the short-lived single-sign-on state cookie; random per process when not given
    # (then a sign-on must finish on the process that started it).
    secret_key: str | None = None
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_username_claim: str = "preferred_username"
    oidc_scopes: str = "openid profile email"
    # Path prefixes of other pages that need a signed-in user (the lab upload page).
    protected_prefixes: tuple[str, ...] = ("/lab",)

    @classmethod
    def from_settings(cls, settings: object | None = None, **overrides: Any) -> RecordsSettings:
        values: dict[str, Any] = {}
        for item in fields(cls):
            value = getattr(settings, item.name, None) if settings is not None else None
            if value is None and item.name in _ENV:
                value = os.environ.get(_ENV[item.name]) or None
            if value is None and item.name in _ENV_NUMBERS:
                raw = os.environ.get(_ENV_NUMBERS[item.name])
                value = positive_number(_ENV_NUMBERS[item.name], raw) if raw else None
            if value is not None:
                values[item.name] = value
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def __post_init__(self) -> None:
        minutes = self.recent_sign_in_minutes
        if not (isinstance(minutes, int | float) and 0 < minutes < float("inf")):
            raise InputError(
                "recent_sign_in_minutes", f"{minutes!r} is not positive", "a positive number"
            )

    @property
    def secure_cookies(self) -> bool:
        return bool(self.public_url and self.public_url.lower().startswith("https://"))

    @property
    def sso_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)


@dataclass
class RecordsContext:
    settings: RecordsSettings
    engine: Engine
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]  # for checks that only read (who is signed in)
    knowledge: Knowledge
    texts: Texts
    criteria: ResponseCriteria
    templates: Jinja2Templates
    signer: URLSafeTimedSerializer
    exporters: dict[str, Exporter] = field(default_factory=dict)
    sso: Any = None  # web.auth.OidcClient when single sign-on is configured


def records_context(request: Request) -> RecordsContext:
    context = getattr(request.app.state, "records", None)
    if not isinstance(context, RecordsContext):
        raise RuntimeError("records are not installed on this app: call install_records(app, ...)")
    return context
