"""Who is asking: bearer tokens, signed-in sessions (password or single sign-on), roles, CSRF.

- API routes take ``Authorization: Bearer cbl_...`` or the session cookie, and answer 401
  without either. A request that changes data with the session cookie must carry the
  session's CSRF token in ``X-CSRF-Token`` (a bearer token is not sent by the browser on its
  own, so it needs none).
- Pages redirect to ``/login`` without a session; every form that changes data carries the
  session's CSRF token (``csrf_token``); the login form, before any session, a double-submit
  token from a SameSite=Strict cookie.
- The session cookie is HttpOnly, SameSite=Lax (Lax so that the identity provider's redirect
  back and links from other systems arrive signed in) and Secure when the public URL is https.
- Single sign-on: OpenID Connect authorisation-code flow with PKCE and a nonce, the ID token
  checked against the provider's published keys (authlib builds the request, joserfc checks
  the signature and claims).
- Recent sign-in: a sensitive change (an admin's account changes) needs a session signed in
  within ``recent_sign_in_minutes`` (``require_recent_sign_in``); an older session is sent to
  sign in again, which makes a new session (OWASP ASVS V3.7.1). A session is made only by
  signing in (a password, single sign-on, or the own password page, which checks the current
  password), so its ``created_at`` is when its user signed in.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from itsdangerous import BadSignature
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.orm import Session

from cobalamin.storage.accounts import (
    check_password,
    create_web_session,
    end_web_session,
    sso_user,
    user_for_token,
    web_session,
)
from cobalamin.storage.audit import Actor, record
from cobalamin.storage.models import User
from cobalamin.web.ratelimit import client_address, rate_limits, too_many
from cobalamin.web.records_context import RecordsContext, records_context

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "DbSession",
    "LoginRequired",
    "OidcClient",
    "Principal",
    "SignInLimit",
    "api_principal",
    "authenticate",
    "check_csrf",
    "count_failed_sign_in",
    "csrf_protected",
    "db_session",
    "fresh_sign_in_path",
    "limit_sign_in",
    "login_redirect",
    "page_principal",
    "require_page_role",
    "require_recent_sign_in",
    "require_role",
    "router",
    "safe_next",
    "signed_in_recently",
]

log = logging.getLogger("cobalamin.web.auth")

SESSION_COOKIE = "cobalamin_session"
LOGIN_CSRF_COOKIE = "cobalamin_login_csrf"
SSO_COOKIE = "cobalamin_sso"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SSO_STATE_SECONDS = 600  # cobalamin's choice: ten minutes to sign in at the provider


class LoginRequired(Exception):
    """A page needs a signed-in user; the app answers with a redirect to the login page.
    ``fresh``: the user is signed in, but not recently enough for what they asked."""

    def __init__(self, next_path: str, *, fresh: bool = False, lang: str = "en") -> None:
        super().__init__("a fresh sign-in is required" if fresh else "login required")
        self.next_path = next_path
        self.fresh = fresh
        self.lang = lang


@dataclass(frozen=True)
class Principal:
    user: User
    actor: Actor
    csrf_token: str | None  # the session's; None when signed in with a bearer token
    signed_in_at: dt.datetime | None = None  # the session's creation; None for a bearer token

    @property
    def role(self) -> str:
        return self.user.role


def db_session(request: Request) -> Iterator[Session]:
    """One database session per request; routes commit before they answer."""
    with records_context(request).sessions() as session:
        yield session


DbSession = Annotated[Session, Depends(db_session)]


def authenticate(request: Request, session: Session) -> Principal | None:
    header = request.headers.get("authorization")
    if header:
        failures = rate_limits(request).token_failures
        key = "token:" + client_address(request)
        wait = failures.blocked(key)
        if wait is not None:
            raise too_many(wait, "failed tokens")
        scheme, _, value = header.partition(" ")
        user = user_for_token(session, value.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            failures.hit(key)
            return None
        return Principal(user, Actor.of(user, "token"), None)
    cookie = request.cookies.get(SESSION_COOKIE)
    found = web_session(session, cookie) if cookie else None
    if found is None:
        return None
    actor = Actor.of(found.user, "session")
    return Principal(found.user, actor, found.csrf_token, found.created_at)


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def api_principal(request: Request, session: DbSession) -> Principal:
    principal = authenticate(request, session)
    if principal is None:
        raise HTTPException(
            401,
            "authentication required: a bearer token or a signed-in session",
            headers={"WWW-Authenticate": "Bearer"},
        )
    needs_csrf = principal.csrf_token is not None and request.method not in SAFE_METHODS
    if needs_csrf and not _same(request.headers.get(CSRF_HEADER), principal.csrf_token or ""):
        raise HTTPException(403, f"CSRF token missing or wrong (header {CSRF_HEADER})")
    return principal


def _role_check(principal: Principal, roles: tuple[str, ...]) -> Principal:
    if principal.role not in roles:
        raise HTTPException(403, f"this needs the role {' or '.join(roles)}")
    return principal


def require_role(*roles: str) -> Callable[..., Principal]:
    """An API dependency: the caller, who must have one of ``roles`` (else 403)."""

    def dependency(principal: Annotated[Principal, Depends(api_principal)]) -> Principal:
        return _role_check(principal, roles)

    return dependency


def page_principal(request: Request, session: DbSession) -> Principal:
    principal = authenticate(request, session)
    if principal is None:
        raise LoginRequired(request.url.path)
    return principal


def require_page_role(*roles: str) -> Callable[..., Principal]:
    def dependency(principal: Annotated[Principal, Depends(page_principal)]) -> Principal:
        return _role_check(principal, roles)

    return dependency


def signed_in_recently(
    principal: Principal, minutes: float, now: dt.datetime | None = None
) -> bool:
    """Whether the principal's session signed in within the last ``minutes`` (never for a
    bearer token). ``now``: the clock, for tests; the current time when not given."""
    if principal.signed_in_at is None:
        return False
    moment = now if now is not None else dt.datetime.now(dt.UTC)
    return moment - principal.signed_in_at <= dt.timedelta(minutes=minutes)


def fresh_sign_in_path(next_path: str, lang: str = "en") -> str:
    """The login page asking for a fresh sign-in, then back to ``next_path`` (both in Dutch
    when ``lang`` is nl)."""
    if lang == "nl":
        return f"/login?next={quote(next_path + '?lang=nl')}&fresh=1&lang=nl"
    return f"/login?next={quote(next_path)}&fresh=1"


def require_recent_sign_in(next_path: str) -> Callable[..., None]:
    """A route dependency: the session must have signed in within the records setting
    ``recent_sign_in_minutes``, else ``LoginRequired(fresh=True)`` (a 303 to the login page,
    then back to ``next_path``) before the route changes anything. Run it after the role
    check, so that other roles keep their 403."""

    def dependency(
        request: Request, principal: Annotated[Principal, Depends(page_principal)]
    ) -> None:
        minutes = records_context(request).settings.recent_sign_in_minutes
        if signed_in_recently(principal, minutes):
            return
        log.info(
            "user %s: %s %s refused, signed in more than %g minutes ago",
            principal.user.id,
            request.method,
            request.url.path,
            minutes,
        )
        raise LoginRequired(next_path, fresh=True, lang=_lang(request))

    return dependency


def check_csrf(principal: Principal, token: str | None) -> None:
    if principal.csrf_token is not None and not _same(token, principal.csrf_token):
        raise HTTPException(403, "the form's CSRF token is missing or wrong; reload the page")


async def csrf_protected(
    request: Request, principal: Annotated[Principal, Depends(page_principal)]
) -> None:
    """A router dependency: every POST, PUT, PATCH or DELETE form must carry the token."""
    if request.method in SAFE_METHODS:
        return
    form = await request.form()
    token = form.get(CSRF_FIELD)
    check_csrf(principal, token if isinstance(token, str) else None)


def limit_sign_in(request: Request) -> None:
    """A dependency of the sign-in routes: 429 once the address has used up its failed
    attempts. Only failures count, so a ward behind one NAT address can all sign in at 8:00."""
    wait = rate_limits(request).login.blocked("login:" + client_address(request))
    if wait is not None:
        raise too_many(wait, "failed sign-in attempts")


def count_failed_sign_in(request: Request) -> None:
    """One failed attempt for the address (a wrong password, a refused sign-on, a wrong
    current password on the password page)."""
    rate_limits(request).login.hit("login:" + client_address(request))


SignInLimit = Depends(limit_sign_in)


def safe_next(value: str | None) -> str:
    """Only a path on this server (never ``//host`` or a full URL) to go on to after login."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/patients"


def _lang(request: Request) -> str:
    return "nl" if request.query_params.get("lang") == "nl" else "en"


def _login_page(
    request: Request,
    context: RecordsContext,
    next_path: str,
    error: str | None,
    status: int,
    notice: str | None = None,
) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = context.templates.TemplateResponse(
        request,
        "login.html",
        {
            "lang": _lang(request),
            "t": context.texts,
            "csrf": token,
            "next": next_path,
            "error": error,
            "notice": notice,
            "sso": context.settings.sso_enabled,
            "user": None,
        },
        status_code=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=context.settings.secure_cookies,
        max_age=3600,
    )
    return response


def new_session_cookie(context: RecordsContext, session: Session, user: User) -> str:
    """A new web session for ``user`` (not yet committed); its cookie value."""
    cookie, _stored = create_web_session(
        session, user, dt.timedelta(hours=context.settings.session_hours)
    )
    return cookie


def set_session_cookie(response: Response, context: RecordsContext, cookie: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        httponly=True,
        samesite="lax",
        secure=context.settings.secure_cookies,
        max_age=int(context.settings.session_hours * 3600),
        path="/",
    )


def _signed_in(
    context: RecordsContext, session: Session, user: User, via: str, next_path: str
) -> RedirectResponse:
    cookie = new_session_cookie(context, session, user)
    record(session, Actor.of(user, via), "login")
    session.commit()
    response = RedirectResponse(safe_next(next_path), status_code=303)
    set_session_cookie(response, context, cookie)
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    log.info("user %s signed in (%s)", user.id, via)
    return response


router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_form(request: Request, next: str | None = None, fresh: str = "") -> HTMLResponse:
    context = records_context(request)
    notice = context.texts.get("records.login.fresh", _lang(request)) if fresh else None
    return _login_page(request, context, safe_next(next), None, 200, notice)


@router.post("/login", response_model=None, dependencies=[SignInLimit])
def login(
    request: Request,
    session: DbSession,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/patients",
) -> Response:
    context = records_context(request)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or not _same(csrf_token, expected):
        raise HTTPException(403, "the login form's CSRF token is missing or wrong; reload it")
    user = check_password(session, username, password)
    if user is None:
        count_failed_sign_in(request)
        record(session, Actor(None, None, "", "session"), "login.failed")
        session.commit()
        error = context.texts.get("records.login.failed", _lang(request))
        return _login_page(request, context, safe_next(next), error, 401)
    return _signed_in(context, session, user, "session", next)


@router.post("/logout")
def logout(
    request: Request, session: DbSession, csrf_token: Annotated[str, Form()] = ""
) -> RedirectResponse:
    principal = page_principal(request, session)
    check_csrf(principal, csrf_token)
    end_web_session(session, request.cookies.get(SESSION_COOKIE, ""))
    record(session, principal.actor, "logout")
    session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


class OidcClient:
    """A relying party of one OpenID Connect provider (discovery, JWKS, code flow + PKCE)."""

    def __init__(
        self,
        issuer: str,
        client_id: str,
        client_secret: str | None,
        *,
        scopes: str = "openid profile email",
        timeout: float = 10.0,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.scopes = scopes
        self.timeout = timeout
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            url = f"{self.issuer}/.well-known/openid-configuration"
            found = httpx.get(url, timeout=self.timeout).raise_for_status().json()
            if str(found.get("issuer", "")).rstrip("/") != self.issuer:
                raise ValueError("the provider's discovery document names another issuer")
            self._metadata = found
        return self._metadata

    def keys(self, *, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            jwks = httpx.get(self.metadata()["jwks_uri"], timeout=self.timeout)
            self._keys = KeySet.import_key_set(jwks.raise_for_status().json())
        return self._keys

    def authorization_url(self, redirect_uri: str, state: str, nonce: str, verifier: str) -> str:
        url: str = prepare_grant_uri(
            self.metadata()["authorization_endpoint"],
            self.client_id,
            "code",
            redirect_uri=redirect_uri,
            scope=self.scopes,
            state=state,
            nonce=nonce,
            code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256",
        )
        return url

    def claims(self, code: str, redirect_uri: str, nonce: str, verifier: str) -> dict[str, Any]:
        """Exchange the code and return the checked ID token's claims."""
        answer = httpx.post(
            self.metadata()["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
                "client_id": self.client_id,
            },
            auth=(self.client_id, self.client_secret or ""),
            timeout=self.timeout,
        )
        id_token = answer.raise_for_status().json().get("id_token")
        if not isinstance(id_token, str):
            raise ValueError("the provider sent no ID token")
        try:
            token = jwt.decode(id_token, self.keys(), algorithms=["RS256", "ES256"])
        except JoseError:  # a key the provider rotated in since we fetched its keys
            token = jwt.decode(id_token, self.keys(refresh=True), algorithms=["RS256", "ES256"])
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.client_id},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
        return dict(token.claims)


def _callback_url(request: Request, context: RecordsContext) -> str:
    base = context.settings.public_url or str(request.base_url)
    return base.rstrip("/") + "/auth/sso/callback"


@router.get("/auth/sso", dependencies=[SignInLimit])
def sso_start(request: Request, next: str | None = None) -> RedirectResponse:
    context = records_context(request)
    if context.sso is None:
        raise HTTPException(404, "single sign-on is not configured")
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    redirect_uri = _callback_url(request, context)
    target = context.sso.authorization_url(redirect_uri, state, nonce, verifier)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SSO_COOKIE,
        context.signer.dumps(
            {
                "state": state,
                "nonce": nonce,
                "verifier": verifier,
                "next": safe_next(next),
                "redirect_uri": redirect_uri,
            }
        ),
        httponly=True,
        samesite="lax",  # it must come back with the provider's top-level redirect
        secure=context.settings.secure_cookies,
        max_age=SSO_STATE_SECONDS,
        path="/auth/sso",
    )
    return response


@router.get("/auth/sso/callback", response_model=None, dependencies=[SignInLimit])
def sso_callback(request: Request, session: DbSession, code: str = "", state: str = "") -> Response:
    context = records_context(request)
    if context.sso is None:
        raise HTTPException(404, "single sign-on is not configured")
    try:
        saved = context.signer.loads(request.cookies.get(SSO_COOKIE, ""), max_age=SSO_STATE_SECONDS)
    except BadSignature:
        count_failed_sign_in(request)
        raise HTTPException(
            400, "the sign-on took too long or did not start here; try again"
        ) from None
    if not code or not _same(state, saved["state"]):
        count_failed_sign_in(request)
        raise HTTPException(400, "the sign-on answer does not match the request; try again")
    try:
        claims = context.sso.claims(code, saved["redirect_uri"], saved["nonce"], saved["verifier"])
    except (httpx.HTTPError, JoseError, ValueError) as exc:
        count_failed_sign_in(request)
        log.warning("single sign-on failed: %s", type(exc).__name__)
        raise HTTPException(401, "the identity provider's answer could not be verified") from None
    username = claims.get(context.settings.oidc_username_claim)
    user = sso_user(
        session,
        context.sso.issuer,
        str(claims["sub"]),
        username if isinstance(username, str) else None,
    )
    if user is None:
        count_failed_sign_in(request)
        record(session, Actor(None, None, "", "sso"), "login.failed")
        session.commit()
        raise HTTPException(403, "no cobalamin account is linked to this sign-on; ask an admin")
    response = _signed_in(context, session, user, "sso", saved["next"])
    response.delete_cookie(SSO_COOKIE, path="/auth/sso")
    return response


def login_redirect(request: Request, exc: Exception) -> Response:
    """The app's handler for ``LoginRequired``: to the login page, then back."""
    assert isinstance(exc, LoginRequired)
    if exc.fresh:
        return RedirectResponse(fresh_sign_in_path(exc.next_path, exc.lang), status_code=303)
    return RedirectResponse(f"/login?next={quote(exc.next_path)}", status_code=303)
