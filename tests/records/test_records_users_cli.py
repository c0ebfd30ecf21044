"""``cobalamin users list``, ``set-password``, ``disable`` and ``enable`` on SQLite and
PostgreSQL: what each changes in the database, what it prints, what the audit log keeps."""

from __future__ import annotations

import datetime as dt
import json

from typer.testing import CliRunner

from cobalamin.cli.app import app
from cobalamin.storage.accounts import (
    check_password,
    create_token,
    create_web_session,
    find_user,
    user_for_token,
    web_session,
)
from cobalamin.storage.audit import audit_entries
from cobalamin.storage.database import make_engine, make_sessionmaker

PASSWORD = "a long enough test password"
NEW_PASSWORD = "an entirely new passphrase 7781"


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def _session_for(db_url: str, name: str) -> str:
    """A web session of the user, made as a sign-in would; its cookie."""
    engine = make_engine(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            user = find_user(session, name)
            assert user is not None
            cookie, _ = create_web_session(session, user, dt.timedelta(hours=1))
            session.commit()
    finally:
        engine.dispose()
    return cookie


def test_users_list_shows_state_and_sign_in_never_a_hash(db_url: str) -> None:
    code, out, _ = run("users", "list", "--db", db_url)
    assert code == 0 and "no users yet" in out
    run("users", "add", "anna", "--role", "clinician", "--db", db_url, stdin=PASSWORD + "\n")
    run("users", "add", "carl", "--role", "admin", "--sso-only", "--db", db_url)
    run("users", "disable", "carl", "--db", db_url)
    code, out, _ = run("users", "list", "--db", db_url)
    assert code == 0
    lines = [line.split() for line in out.strip().splitlines()]
    assert lines == [
        ["name", "role", "state", "sign-in"],
        ["anna", "clinician", "active", "password"],
        ["carl", "admin", "disabled", "sso-only"],
    ]
    code, out, _ = run("users", "list", "--format", "json", "--db", db_url)
    assert code == 0
    assert json.loads(out) == {
        "users": [
            {"name": "anna", "role": "clinician", "state": "active", "sign_in": "password"},
            {"name": "carl", "role": "admin", "state": "disabled", "sign_in": "sso-only"},
        ]
    }
    assert "argon2" not in out and PASSWORD not in out
    code, _, err = run("users", "list", "--format", "xml", "--db", db_url)
    assert code == 2 and "--format" in err


def test_set_password_replaces_the_old_one_and_ends_every_session(db_url: str) -> None:
    run("users", "add", "anna", "--role", "clinician", "--db", db_url, stdin=PASSWORD + "\n")
    first, second = _session_for(db_url, "anna"), _session_for(db_url, "anna")
    code, out, err = run("users", "set-password", "anna", "--db", db_url, stdin=NEW_PASSWORD + "\n")
    assert code == 0, err
    assert out.strip() == "password of anna set; 2 sessions ended"
    assert NEW_PASSWORD not in out + err
    engine = make_engine(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            assert check_password(session, "anna", PASSWORD) is None
            user = check_password(session, "anna", NEW_PASSWORD)
            assert user is not None and user.password_hash is not None
            assert user.password_hash.startswith("$argon2id$")
            assert web_session(session, first) is None and web_session(session, second) is None
            anna_id = user.id
    finally:
        engine.dispose()
    # The same rules as `users add`; an unknown name is refused before any password is read.
    code, _, err = run("users", "set-password", "anna", "--db", db_url, stdin="short\n")
    assert code == 2 and err.startswith("error: password: too short (5 characters)")
    assert "15 characters" in err
    code, _, err = run("users", "set-password", "anna", "--db", db_url, stdin="")
    assert code == 2 and "password: too short (0 characters)" in err
    code, out, err = run("users", "set-password", "nobody", "--db", db_url, stdin=PASSWORD + "\n")
    assert code == 2 and err.startswith("error: name: no user 'nobody'") and out == ""
    assert "Traceback" not in err
    engine = make_engine(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            assert check_password(session, "anna", NEW_PASSWORD) is not None  # unchanged
            entries = audit_entries(session)
    finally:
        engine.dispose()
    changes = [e for e in entries if e["action"] == "user.password"]
    assert [(e["via"], e["user_id"], e["detail"]) for e in changes] == [
        ("cli", None, {"user_id": anna_id, "sessions_ended": 2})
    ]
    dumped = json.dumps(entries)
    assert PASSWORD not in dumped and NEW_PASSWORD not in dumped and "argon2" not in dumped


def test_disable_refuses_password_token_and_session_and_enable_restores(db_url: str) -> None:
    run("users", "add", "anna", "--role", "lab", "--db", db_url, stdin=PASSWORD + "\n")
    run("users", "add", "bert", "--role", "lab", "--db", db_url, stdin=PASSWORD + "\n")
    engine = make_engine(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            token = create_token(session, "anna").token
            session.commit()
        cookie = _session_for(db_url, "anna")
        bert_cookie = _session_for(db_url, "bert")

        code, out, err = run("users", "disable", "anna", "--db", db_url)
        assert code == 0, err
        assert out.strip() == "user anna disabled: no sign-in, no bearer token; 1 session ended"
        with make_sessionmaker(engine)() as session:
            assert check_password(session, "anna", PASSWORD) is None
            assert user_for_token(session, token) is None
            assert web_session(session, cookie) is None
            assert web_session(session, bert_cookie) is not None  # another user is untouched
        code, out, _ = run("users", "disable", "anna", "--db", db_url)
        assert code == 0 and out.strip() == "user anna was already disabled"

        code, out, err = run("users", "enable", "anna", "--db", db_url)
        assert code == 0 and out.strip() == "user anna enabled", err
        with make_sessionmaker(engine)() as session:
            user = check_password(session, "anna", PASSWORD)
            assert user is not None and not user.disabled
            assert user_for_token(session, token) is user  # a token not revoked works again
            assert web_session(session, cookie) is None  # an ended session stays ended
            anna_id = user.id

        for command in ("disable", "enable"):
            code, out, err = run("users", command, "nobody", "--db", db_url)
            assert code == 2 and err.startswith("error: name: no user 'nobody'"), command
            assert "Traceback" not in err
        code, _, err = run("users", "disable", "--db", db_url)
        assert code == 2 and "NAME" in err.upper()

        with make_sessionmaker(engine)() as session:
            entries = [
                (e["action"], e["via"], e["detail"])
                for e in audit_entries(session)
                if e["action"] in ("user.disable", "user.enable")
            ]
    finally:
        engine.dispose()
    assert entries == [
        ("user.disable", "cli", {"user_id": anna_id, "changed": True, "sessions_ended": 1}),
        ("user.disable", "cli", {"user_id": anna_id, "changed": False, "sessions_ended": 0}),
        ("user.enable", "cli", {"user_id": anna_id, "changed": True, "sessions_ended": 0}),
    ]
