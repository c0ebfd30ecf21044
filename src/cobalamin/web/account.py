"""The signed-in user's own account: changing their password.

    GET  /account/password    the form: current password, the new one twice (CSRF token)
    POST /account/password    checks the current password, sets the new one (the rules of
                              ``storage.accounts``), ends every session of the user and
                              gives this browser a new one; audited

Any signed-in role may use it, with a session (a bearer token cannot: it is not a person at a
browser). A wrong current password counts as a failed sign-in for the address's rate limit
(``web.ratelimit``), and the route answers 429 once that limit is used up, so the form cannot
be used to guess a password. A single-sign-on-only account has no password here to change.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cobalamin.errors import InputError
from cobalamin.storage.accounts import MIN_PASSWORD_LENGTH, password_matches, set_password
from cobalamin.storage.audit import record
from cobalamin.web.auth import (
    DbSession,
    Principal,
    SignInLimit,
    count_failed_sign_in,
    csrf_protected,
    new_session_cookie,
    page_principal,
    set_session_cookie,
)
from cobalamin.web.records_context import records_context

__all__ = ["PASSWORD_PATH", "router"]

log = logging.getLogger("cobalamin.web.account")

PASSWORD_PATH = "/account/password"

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protected)])

Who = Annotated[Principal, Depends(page_principal)]
FormText = Annotated[str, Form()]


def _lang(request: Request) -> str:
    return "nl" if request.query_params.get("lang") == "nl" else "en"


def _with_session(who: Principal) -> Principal:
    if who.csrf_token is None:
        raise HTTPException(403, "sign in with a password or single sign-on to change a password")
    return who


def _page(
    request: Request,
    who: Principal,
    *,
    error: str | None = None,
    changed: bool = False,
    status: int = 200,
) -> HTMLResponse:
    context = records_context(request)
    values: dict[str, Any] = {
        "lang": _lang(request),
        "t": context.texts,
        "user": who.user,
        "csrf": who.csrf_token or "",
        "error": error,
        "changed": changed,
        "sso_only": who.user.password_hash is None,
        "min_length": MIN_PASSWORD_LENGTH,
    }
    return context.templates.TemplateResponse(
        request, "account_password.html", values, status_code=status
    )


@router.get(PASSWORD_PATH)
def password_page(request: Request, who: Who, changed: bool = False) -> HTMLResponse:
    return _page(request, _with_session(who), changed=changed)


@router.post(PASSWORD_PATH, response_model=None, dependencies=[SignInLimit])
def change_password(
    request: Request,
    session: DbSession,
    who: Who,
    current_password: FormText = "",
    new_password: FormText = "",
    new_password_again: FormText = "",
) -> Response:
    _with_session(who)
    texts, lang = records_context(request).texts, _lang(request)
    user = who.user
    if user.password_hash is None:
        return _page(request, who, error=texts.get("records.account.sso_only", lang), status=422)
    if not password_matches(user, current_password):
        count_failed_sign_in(request)
        record(session, who.actor, "user.password.failed", user_id=user.id)
        session.commit()
        log.info("user %s gave a wrong current password", user.id)
        error = texts.get("records.account.wrong_current", lang)
        return _page(request, who, error=error, status=401)
    if len(new_password) < MIN_PASSWORD_LENGTH:
        error = texts.get(
            "records.account.too_short", lang, length=len(new_password), min=MIN_PASSWORD_LENGTH
        )
        return _page(request, who, error=error, status=422)
    if new_password_again != new_password:
        return _page(request, who, error=texts.get("records.account.mismatch", lang), status=422)
    try:
        # every session ends, this one too: the browser gets a new session id, so a cookie
        # taken before the change is worth nothing after it
        ended = set_password(session, user, new_password)
    except InputError as exc:  # a rule of storage.accounts this page does not know by name
        session.rollback()
        label = texts.get("records.account.new", lang)
        return _page(request, who, error=f"{label}: {exc.message}", status=422)
    cookie = new_session_cookie(records_context(request), session, user)
    record(session, who.actor, "user.password", user_id=user.id, sessions_ended=max(ended - 1, 0))
    session.commit()
    log.info("user %s changed their password; %d other sessions ended", user.id, max(ended - 1, 0))
    suffix = "&lang=nl" if lang == "nl" else ""
    response = RedirectResponse(f"{PASSWORD_PATH}?changed=true{suffix}", status_code=303)
    set_session_cookie(response, records_context(request), cookie)
    return response
