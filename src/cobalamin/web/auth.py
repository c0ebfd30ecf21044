"""Who is asking: a hook the records issue fills in (sessions, bearer tokens).

Today nobody logs in: ``current_user`` returns whatever ``app.state.user_loader`` returns for
the request, and the default loader returns None. The dependencies below decide access from
that and the settings, so adding users later changes the loader, not the routes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import HTTPException, Request

from cobalamin.web.settings import Settings

__all__ = ["UserLoader", "anonymous", "current_user", "require_calculators", "require_lab"]

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
    """The laboratory pages: only when the settings switch them on (a login comes later)."""
    if not _settings(request).lab_enabled:
        raise HTTPException(404, "the laboratory pages are switched off on this server")
