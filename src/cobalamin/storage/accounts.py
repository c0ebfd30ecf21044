"""Users, their argon2 password hashes, bearer tokens, web sessions and single sign-on links.

Secrets are never stored: a bearer token is ``cbl_<id>_<secret>`` (the id is public, printed
by ``tokens create`` and used to revoke it) and the database keeps its sha256; a session cookie
is 32 random bytes and the database keeps its sha256 as the session id. A 32-byte random secret
cannot be guessed, so a fast hash suffices for these; passwords, chosen by people, get argon2.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from cobalamin.errors import InputError
from cobalamin.storage.models import ApiToken, User, WebSession, utcnow

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "TOKEN_PREFIX",
    "IssuedToken",
    "add_user",
    "check_password",
    "create_token",
    "create_web_session",
    "end_user_sessions",
    "end_web_session",
    "find_user",
    "list_users",
    "named_user",
    "password_matches",
    "revoke_token",
    "set_disabled",
    "set_password",
    "sso_user",
    "token_id_of",
    "user_for_token",
    "web_session",
]

ROLES = ("clinician", "lab", "admin")
TOKEN_PREFIX = "cbl"
# A password used as the only authentication factor is at least 15 characters long (8 when it
# is one factor of several): bibliography id nist-sp-800-63b-4 (data/sources.yaml).
MIN_PASSWORD_LENGTH = 15
_hasher = PasswordHasher()  # argon2id with argon2-cffi's RFC 9106 low-memory profile
_UNKNOWN_USER_HASH = _hasher.hash(secrets.token_urlsafe(16))


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def find_user(session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == name)).first()


def named_user(session: Session, name: str) -> User:
    """The user called ``name``; InputError naming the field ``name`` when there is none."""
    user = find_user(session, name.strip())
    if user is None:
        raise InputError("name", f"no user {name.strip()!r}", "a name listed by `users list`")
    return user


def list_users(session: Session) -> list[User]:
    """Every account, by name."""
    return list(session.scalars(select(User).order_by(User.name)))


def _checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(
            "password",
            f"too short ({len(password)} characters)",
            f"at least {MIN_PASSWORD_LENGTH} characters (NIST SP 800-63B-4)",
        )
    return _hasher.hash(password)


def add_user(session: Session, name: str, role: str, password: str | None) -> User:
    """A new user; ``password`` None makes a single-sign-on-only account."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InputError("name", "must be 1 to 100 characters")
    if role not in ROLES:
        raise InputError("role", f"unknown role {role!r}", ", ".join(ROLES))
    if find_user(session, name) is not None:
        raise InputError("name", f"a user {name!r} exists already")
    user = User(
        name=name,
        role=role,
        password_hash=None if password is None else _checked_password(password),
        disabled=False,
    )
    session.add(user)
    session.flush()
    return user


def end_user_sessions(session: Session, user: User, keep_cookie: str | None = None) -> int:
    """Sign the user out everywhere (but for the session of ``keep_cookie``); how many ended."""
    query = select(WebSession).where(WebSession.user_id == user.id)
    if keep_cookie:
        query = query.where(WebSession.id != _sha256(keep_cookie))
    ended = list(session.scalars(query))
    for found in ended:
        session.delete(found)
    session.flush()
    return len(ended)


def set_password(
    session: Session, user: User, password: str, keep_cookie: str | None = None
) -> int:
    """A new password (the same rules as ``add_user``); every other session of the user ends
    (all of them without ``keep_cookie``). The number of sessions ended."""
    user.password_hash = _checked_password(password)
    session.flush()
    return end_user_sessions(session, user, keep_cookie)


def set_disabled(session: Session, user: User, disabled: bool) -> int:
    """Disable or enable an account. A disabled user cannot sign in (password or single
    sign-on), and their bearer tokens and sessions are refused: every check reads the flag.
    Disabling also deletes their sessions, so enabling again does not bring them back.
    The number of sessions ended."""
    user.disabled = disabled
    session.flush()
    return end_user_sessions(session, user) if disabled else 0


def password_matches(user: User, password: str) -> bool:
    """Whether ``password`` is the user's (False for an account without a password)."""
    try:
        _hasher.verify(user.password_hash or _UNKNOWN_USER_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return user.password_hash is not None


def check_password(session: Session, name: str, password: str) -> User | None:
    """The user if the password is theirs. An unknown name costs the same argon2 work."""
    user = find_user(session, name)
    stored = user.password_hash if user is not None else None
    try:
        _hasher.verify(stored or _UNKNOWN_USER_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or stored is None or user.disabled:
        return None
    if _hasher.check_needs_rehash(stored):
        user.password_hash = _hasher.hash(password)
    return user


@dataclass(frozen=True)
class IssuedToken:
    id: str
    token: str  # shown once, never stored


def create_token(session: Session, user_name: str) -> IssuedToken:
    user = find_user(session, user_name)
    if user is None:
        raise InputError("name", f"no user {user_name!r}")
    token_id = secrets.token_hex(8)
    token = f"{TOKEN_PREFIX}_{token_id}_{secrets.token_urlsafe(32)}"
    session.add(ApiToken(id=token_id, user_id=user.id, secret_sha256=_sha256(token)))
    session.flush()
    return IssuedToken(token_id, token)


def token_id_of(token_or_id: str) -> str:
    """The id part of a token (``cbl_<id>_<secret>``), or the id itself."""
    parts = token_or_id.strip().split("_", 2)
    if len(parts) == 3 and parts[0] == TOKEN_PREFIX:
        return parts[1]
    return token_or_id.strip()


def revoke_token(session: Session, token_or_id: str) -> bool:
    """Revoke a token by its id (or the whole token); False when there is no such token."""
    found = session.get(ApiToken, token_id_of(token_or_id))
    if found is None:
        return False
    if found.revoked_at is None:
        found.revoked_at = utcnow()
    return True


def user_for_token(session: Session, token: str) -> User | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    found = session.get(ApiToken, parts[1])
    if found is None or found.revoked_at is not None or found.user.disabled:
        return None
    if not hmac.compare_digest(found.secret_sha256, _sha256(token)):
        return None
    return found.user


def create_web_session(
    session: Session, user: User, lifetime: dt.timedelta
) -> tuple[str, WebSession]:
    """A new session: (the cookie value, the stored session with its CSRF token)."""
    cookie = secrets.token_urlsafe(32)
    stored = WebSession(
        id=_sha256(cookie),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=utcnow() + lifetime,
    )
    session.add(stored)
    session.flush()
    return cookie, stored


def web_session(session: Session, cookie: str) -> WebSession | None:
    """The live session of this cookie (None when unknown, expired or the user is disabled)."""
    found = session.get(WebSession, _sha256(cookie))
    if found is None or found.expires_at <= utcnow() or found.user.disabled:
        return None
    return found


def end_web_session(session: Session, cookie: str) -> None:
    found = session.get(WebSession, _sha256(cookie))
    if found is not None:
        session.delete(found)
        session.flush()


def sso_user(session: Session, issuer: str, subject: str, username: str | None) -> User | None:
    """The user linked to this identity-provider account. A user not yet linked is found by
    ``username`` (the claim the site chose) and linked on this first sign-on; an account
    already linked to another subject is never taken over."""
    linked = session.scalars(
        select(User).where(User.sso_issuer == issuer, User.sso_subject == subject)
    ).first()
    if linked is not None:
        return None if linked.disabled else linked
    if not username:
        return None
    user = find_user(session, username)
    if user is None or user.disabled or user.sso_subject is not None:
        return None
    user.sso_issuer, user.sso_subject = issuer, subject
    return user
