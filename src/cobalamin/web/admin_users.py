"""Accounts on the web, for admins: every account, adding one, setting a password, disabling
and enabling, as ``cobalamin users add/list/set-password/disable/enable`` do on the command
line.

    GET  /admin/users              every account (name, role, active or disabled, password or
                                   single sign-on only; never a hash) and the forms (CSRF)
    POST /admin/users/add          name, role, an initial password typed twice, or single
                                   sign-on only
    POST /admin/users/password     a user's new password, typed twice; every session of the
                                   user ends
    POST /admin/users/disable      at once: no sign-in, the user's sessions end, their bearer
                                   tokens are refused
    POST /admin/users/enable       the account may sign in again

Admins only, signed in with a session (a bearer token is not a person at a browser):
anonymous visitors are sent to the login page, every other role and a bearer token get 403.
A change needs a recent sign-in (OWASP ASVS V3.7.1: re-authentication before a sensitive
account change), so that a browser left signed in cannot change every account: when the
admin's session signed in more than ``recent_sign_in_minutes`` ago (records setting, 15 by
default) a POST changes nothing and answers 303 to the login page, which says why and comes
back here (``/login?next=/admin/users&fresh=1``); signing in again makes a new, recent session.
The list stays open to the older session and says that changes need a fresh sign-in, with
the link. A refused change is logged (the admin's user id), not audited: nothing changed.

The rules of an account are those of ``storage.accounts``: the page calls it and words its
errors in the page's language (a rule this page does not know by name keeps the storage
message under the field's label). The page adds only its own: the password typed twice the
same, no password with single sign-on only, and no admin disables their own account (so a
site cannot lock out its last admin from here) or sets their own password here (that is
``/account/password``, which asks for the current one). Bad input answers 422 with the page
naming the field; nothing is changed.

Each change is audited with the command line's action names (``user.add``,
``user.password``, ``user.disable``, ``user.enable``; showing the list is ``user.list``) and
the signed-in admin as the actor; never a password or hash, in the audit or the log.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from cobalamin.errors import InputError
from cobalamin.knowledge.texts import Texts
from cobalamin.storage.accounts import (
    MIN_PASSWORD_LENGTH,
    ROLES,
    add_user,
    list_users,
    named_user,
    set_disabled,
    set_password,
)
from cobalamin.storage.audit import record
from cobalamin.storage.models import User
from cobalamin.web.auth import (
    DbSession,
    Principal,
    csrf_protected,
    fresh_sign_in_path,
    require_page_role,
    require_recent_sign_in,
    signed_in_recently,
)
from cobalamin.web.records_context import records_context

__all__ = ["USERS_PATH", "router"]

log = logging.getLogger("cobalamin.web.admin_users")

USERS_PATH = "/admin/users"
DONE = ("added", "password", "disabled", "enabled", "already_disabled", "already_enabled")
FIELDS = ("name", "role", "password", "password_again")

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protected)])
FormText = Annotated[str, Form()]


def admin_with_session(
    who: Annotated[Principal, Depends(require_page_role("admin"))],
) -> Principal:
    """The signed-in admin (403 for other roles and for a bearer token)."""
    if who.csrf_token is None:
        raise HTTPException(403, "sign in with a password or single sign-on to manage accounts")
    return who


Admin = Annotated[Principal, Depends(admin_with_session)]


def recent_admin(
    who: Admin, _recent: Annotated[None, Depends(require_recent_sign_in(USERS_PATH))]
) -> Principal:
    """The signed-in admin whose session signed in recently: the role is checked first (403
    for others), then the sign-in's age (a 303 to the login page when too old)."""
    return who


RecentAdmin = Annotated[Principal, Depends(recent_admin)]

# The messages of storage.accounts' rules, by field, and the text that words each on the page
# (the numbers come from the message itself or from storage's own constants).
_STORAGE_MESSAGES = (
    ("name", re.compile(r"must be (?P<low>\d+) to (?P<high>\d+) characters"), "name_length"),
    ("name", re.compile(r"a user (?P<name>.+) exists already"), "name_taken"),
    ("name", re.compile(r"no user (?P<name>.+)"), "name_unknown"),
    ("role", re.compile(r"unknown role (?P<role>.+)"), "role_unknown"),
    ("password", re.compile(r"too short \((?P<length>\d+) characters\)"), "password_short"),
)


@dataclass(frozen=True)
class Problem:
    """What was wrong, for the page: which form, which field, the message in its language."""

    form: str  # add | password | state
    field: str
    message: str


def _lang(request: Request) -> str:
    return "nl" if request.query_params.get("lang") == "nl" else "en"


def _texts(request: Request) -> Texts:
    return records_context(request).texts


def _said(request: Request, form: str, field: str, key: str, **values: Any) -> Problem:
    message = _texts(request).get(f"records.users.errors.{key}", _lang(request), **values)
    return Problem(form, field, message)


def _worded(request: Request, form: str, exc: InputError) -> Problem:
    """A storage rule's error in the page's language, naming the field."""
    for field, pattern, key in _STORAGE_MESSAGES:
        found = pattern.fullmatch(exc.message) if exc.field == field else None
        if found is not None:
            values = {"min": MIN_PASSWORD_LENGTH, "roles": ", ".join(ROLES), **found.groupdict()}
            return _said(request, form, field, key, **values)
    texts, lang = _texts(request), _lang(request)
    label = texts.get(f"records.users.field.{exc.field}", lang) if exc.field in FIELDS else ""
    return Problem(form, exc.field, f"{label or exc.field}: {exc.message}")


def _rows(session: Session, who: Principal) -> list[dict[str, Any]]:
    return [
        {
            "name": user.name,
            "role": user.role,
            "disabled": user.disabled,
            "password": user.password_hash is not None,
            "me": user.id == who.user.id,
        }
        for user in list_users(session)
    ]


def _page(
    request: Request,
    session: Session,
    who: Principal,
    *,
    problem: Problem | None = None,
    typed: dict[str, str] | None = None,
    done: str | None = None,
    accounts: list[dict[str, Any]] | None = None,
    status: int = 200,
) -> HTMLResponse:
    context = records_context(request)
    minutes = context.settings.recent_sign_in_minutes
    stale = not signed_in_recently(who, minutes)
    values: dict[str, Any] = {
        "lang": _lang(request),
        "fresh_link": fresh_sign_in_path(USERS_PATH, _lang(request)) if stale else None,
        "fresh_minutes": f"{minutes:g}",
        "t": context.texts,
        "user": who.user,
        "csrf": who.csrf_token or "",
        "accounts": _rows(session, who) if accounts is None else accounts,
        "roles": ROLES,
        "min_length": MIN_PASSWORD_LENGTH,
        "problem": problem,
        "typed": typed or {},
        "done": done,
    }
    return context.templates.TemplateResponse(
        request, "admin_users.html", values, status_code=status
    )


def _refused(
    request: Request,
    session: Session,
    who: Principal,
    problem: Problem,
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    session.rollback()  # nothing of the refused change stays
    return _page(request, session, who, problem=problem, typed=typed, status=422)


def _done(request: Request, what: str, user: User) -> RedirectResponse:
    suffix = "&lang=nl" if _lang(request) == "nl" else ""
    return RedirectResponse(f"{USERS_PATH}?done={what}&user={user.id}{suffix}", status_code=303)


@router.get(USERS_PATH)
def users_page(
    request: Request, session: DbSession, who: Admin, done: str = "", user: int = 0
) -> HTMLResponse:
    message = None
    changed = session.get(User, user) if done in DONE and user else None
    if changed is not None:
        texts = _texts(request)
        message = texts.get(f"records.users.done.{done}", _lang(request), name=changed.name)
    accounts = _rows(session, who)
    page = _page(request, session, who, done=message, accounts=accounts)
    record(session, who.actor, "user.list", count=len(accounts))
    session.commit()
    return page


@router.post(f"{USERS_PATH}/add", response_model=None)
def add_account(
    request: Request,
    session: DbSession,
    who: RecentAdmin,
    name: FormText = "",
    role: FormText = "",
    password: FormText = "",
    password_again: FormText = "",
    sso_only: FormText = "",
) -> Response:
    single_sign_on = sso_only == "on"
    typed = {"name": name, "role": role, "sso_only": "on" if single_sign_on else ""}
    if single_sign_on and (password or password_again):
        problem = _said(request, "add", "password", "sso_with_password")
        return _refused(request, session, who, problem, typed)
    if not single_sign_on and password_again != password:
        problem = _said(request, "add", "password_again", "mismatch")
        return _refused(request, session, who, problem, typed)
    try:
        added = add_user(session, name, role, None if single_sign_on else password)
    except InputError as exc:
        return _refused(request, session, who, _worded(request, "add", exc), typed)
    record(session, who.actor, "user.add", user_id=added.id, role=added.role)
    session.commit()
    log.info("admin %s added user %s (%s)", who.user.id, added.id, added.role)
    return _done(request, "added", added)


@router.post(f"{USERS_PATH}/password", response_model=None)
def set_account_password(
    request: Request,
    session: DbSession,
    who: RecentAdmin,
    name: FormText = "",
    password: FormText = "",
    password_again: FormText = "",
) -> Response:
    typed = {"password_name": name}
    try:
        user = named_user(session, name)
    except InputError as exc:
        return _refused(request, session, who, _worded(request, "password", exc), typed)
    if user.id == who.user.id:
        problem = _said(request, "password", "name", "own_password")
        return _refused(request, session, who, problem, typed)
    if password_again != password:
        problem = _said(request, "password", "password_again", "mismatch")
        return _refused(request, session, who, problem, typed)
    try:
        ended = set_password(session, user, password)
    except InputError as exc:
        return _refused(request, session, who, _worded(request, "password", exc), typed)
    record(session, who.actor, "user.password", user_id=user.id, sessions_ended=ended)
    session.commit()
    log.info("admin %s set the password of user %s; %d sessions ended", who.user.id, user.id, ended)
    return _done(request, "password", user)


def _set_disabled(
    request: Request, session: Session, who: Principal, name: str, disabled: bool
) -> Response:
    try:
        user = named_user(session, name)
    except InputError as exc:
        return _refused(request, session, who, _worded(request, "state", exc))
    if disabled and user.id == who.user.id:
        return _refused(request, session, who, _said(request, "state", "name", "own_account"))
    changed = user.disabled != disabled
    ended = set_disabled(session, user, disabled)
    action = "user.disable" if disabled else "user.enable"
    record(session, who.actor, action, user_id=user.id, changed=changed, sessions_ended=ended)
    session.commit()
    log.info("admin %s: %s of user %s; %d sessions ended", who.user.id, action, user.id, ended)
    what = "disabled" if disabled else "enabled"
    return _done(request, what if changed else f"already_{what}", user)


@router.post(f"{USERS_PATH}/disable", response_model=None)
def disable_account(
    request: Request, session: DbSession, who: RecentAdmin, name: FormText = ""
) -> Response:
    return _set_disabled(request, session, who, name, True)


@router.post(f"{USERS_PATH}/enable", response_model=None)
def enable_account(
    request: Request, session: DbSession, who: RecentAdmin, name: FormText = ""
) -> Response:
    return _set_disabled(request, session, who, name, False)
