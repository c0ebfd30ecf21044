"""Accounts: argon2 password hashes, hashed bearer tokens, sessions that expire."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from cobalamin.errors import InputError
from cobalamin.storage.accounts import (
    add_user,
    check_password,
    create_token,
    create_web_session,
    end_web_session,
    revoke_token,
    user_for_token,
    web_session,
)
from cobalamin.storage.database import make_engine, make_read_sessionmaker, make_sessionmaker
from cobalamin.storage.migrate import upgrade
from cobalamin.storage.models import ApiToken, WebSession

PASSWORD = "a long enough test password"


def test_accounts(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        with make_sessionmaker(engine)() as session:
            user = add_user(session, "anna", "lab", PASSWORD)
            assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
            assert check_password(session, "anna", PASSWORD) is user
            assert check_password(session, "anna", PASSWORD + "x") is None
            assert check_password(session, "nobody", PASSWORD) is None
            with pytest.raises(InputError, match="15 characters"):
                add_user(session, "bert", "lab", "x" * 14)
            sso_only = add_user(session, "carl", "admin", None)
            assert check_password(session, "carl", "") is None and sso_only.password_hash is None

            issued = create_token(session, "anna")
            stored = session.scalars(select(ApiToken)).one()
            assert issued.token not in stored.secret_sha256 and len(stored.secret_sha256) == 64
            assert user_for_token(session, issued.token) is user
            changed = issued.token[:-1] + ("A" if issued.token[-1] != "A" else "B")
            assert user_for_token(session, changed) is None
            assert user_for_token(session, f"cbl_{issued.id}_guess") is None
            assert (
                revoke_token(session, issued.id) and user_for_token(session, issued.token) is None
            )

            cookie, live = create_web_session(session, user, dt.timedelta(hours=1))
            assert web_session(session, cookie) is live and live.id != cookie
            assert len(live.csrf_token) >= 32
            live.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
            assert web_session(session, cookie) is None
            cookie, _ = create_web_session(session, user, dt.timedelta(hours=1))
            end_web_session(session, cookie)
            assert web_session(session, cookie) is None
            user.disabled = True
            assert check_password(session, "anna", PASSWORD) is None
            session.commit()
            assert session.scalars(select(WebSession)).all() == [live]
    finally:
        engine.dispose()


def test_a_sign_in_check_does_not_wait_for_a_writer(tmp_path: Path) -> None:
    """On SQLite every writing transaction takes the write lock when it begins; the check of a
    token (on every request) reads in a session that does not, so it never queues behind a
    writer (it did, and that was the latency tail of every authenticated request)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'records.sqlite3'}")
    try:
        upgrade(engine)
        with make_sessionmaker(engine)() as session:
            add_user(session, "anna", "lab", PASSWORD)
            token = create_token(session, "anna").token
            session.commit()
        found: list[object] = []
        with make_sessionmaker(engine)() as writer:
            writer.execute(select(ApiToken))  # BEGIN IMMEDIATE: the writer holds the lock
            reader = threading.Thread(
                target=lambda: found.append(
                    user_for_token(make_read_sessionmaker(engine)(), token)
                ),
                daemon=True,
            )
            reader.start()
            reader.join(timeout=5)  # a locking reader would wait the 30 s busy timeout
            assert not reader.is_alive() and found and found[0] is not None
            writer.rollback()
    finally:
        engine.dispose()
