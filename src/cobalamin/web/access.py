"""Who is asking, as the pages and calculators see it.

``current_user`` returns whatever ``app.state.user_loader`` gives for the request: nobody on a
bare ``create_app``; the signed-in user (a session or a bearer token) on the full server
(``cobalamin.web.server.build_app``, answered by the records' ``web.auth``). The dependencies
below decide access from that and the settings, so the routes need not know how users log in.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException, Request

from cobalamin.web.settings import Settings

__all__ = [
    "UserLoader",
    "anonymous",
    "check_form_csrf",
    "csrf_token_of",
    "current_user",
    "require_calculators",
    "require_lab",
]

UserLoader = Callable[[Request], Any]


def anonymous(request: Request) -> Any:
    """The default loader: nobody is logged in."""
    return None


def current_user(request: Request) -> Any:
    """The logged-in user of this request, or None."""
    loader: UserLoader = request.app.state.user_loader
    return loader(request)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def require_calculators(request: Request) -> None:
    """The stateless calculators: open to all unless the settings close them."""
    if not _settings(request).open_calculators and current_user(request) is None:
        raise HTTPException(401, "log in to use the calculators on this server")


def require_lab(request: Request) -> None:
    """The laboratory pages: only when the settings switch them on (on the full server the
    records' ``RequireLogin`` also keeps them to signed-in users)."""
    if not _settings(request).lab_enabled:
        raise HTTPException(404, "the laboratory pages are switched off on this server")


def csrf_token_of(request: Request) -> str | None:
    """The signed-in session's CSRF token (None without a session: nothing to protect)."""
    token = getattr(current_user(request), "csrf_token", None)
    return token if isinstance(token, str) else None


def check_form_csrf(request: Request, given: object) -> None:
    """A form that changes data must carry the session's CSRF token (403 otherwise)."""
    expected = csrf_token_of(request)
    if expected is not None and not (
        isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())
    ):
        raise HTTPException(403, "the form's CSRF token is missing or wrong; reload the page")
