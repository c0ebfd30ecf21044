"""``cobalamin db``, ``users`` and ``tokens`` on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from cobalamin.cli.app import app
from cobalamin.storage.accounts import check_password, user_for_token
from cobalamin.storage.audit import Actor
from cobalamin.storage.database import make_engine, make_sessionmaker
from cobalamin.storage.migrate import head_revision
from cobalamin.storage.records import create_patient, find_patients

PASSWORD = "a long enough test password"


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_users_tokens_and_upgrade(db_url: str) -> None:
    code, out, _ = run("db", "upgrade", "--db", db_url)
    assert code == 0 and out.strip().endswith(f"none -> {head_revision()}")
    code, out, _ = run(
        "users", "add", "anna", "--role", "clinician", "--db", db_url, stdin=PASSWORD + "\n"
    )
    assert code == 0, out
    code, _, err = run(
        "users", "add", "bert", "--role", "clinician", "--db", db_url, stdin="short\n"
    )
    assert code == 2 and "password" in err and "15 characters" in err
    code, _, err = run(
        "users", "add", "bert", "--role", "nurse", "--db", db_url, stdin=PASSWORD + "\n"
    )
    assert code == 2 and "role" in err and "clinician, lab, admin" in err
    code, _, err = run(
        "users", "add", "anna", "--role", "admin", "--db", db_url, stdin=PASSWORD + "\n"
    )
    assert code == 2 and "exists" in err
    code, out, _ = run("tokens", "create", "anna", "--db", db_url)
    assert code == 0
    token = out.strip().splitlines()[-1]
    token_id = token.split("_")[1]
    assert token.startswith("cbl_") and token_id in out.splitlines()[0]
    engine = make_engine(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            user = user_for_token(session, token)
            assert user is not None and user.name == "anna" and user.role == "clinician"
            assert check_password(session, "anna", PASSWORD) is user
            assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
            assert PASSWORD not in user.password_hash
        code, out, _ = run("tokens", "revoke", token_id, "--db", db_url)
        assert code == 0 and "revoked" in out
        with make_sessionmaker(engine)() as session:
            assert user_for_token(session, token) is None
        code, _, err = run("tokens", "revoke", "nope", "--db", db_url)
        assert code == 2 and "token_id" in err
        code, _, err = run("tokens", "create", "nobody", "--db", db_url)
        assert code == 2 and "nobody" in err
    finally:
        engine.dispose()


def test_backup_and_restore(db_url: str, tmp_path: Path) -> None:
    from cobalamin import default_knowledge

    run("db", "upgrade", "--db", db_url)
    engine = make_engine(db_url)
    actor = Actor(None, None, "", "cli")
    try:
        with make_sessionmaker(engine)() as session:
            create_patient(
                session,
                actor,
                {"identifier": "MRN-B", "birth_date": "1950-01-02"},
                default_knowledge(),
                "nice-ng239",
            )
            session.commit()
    finally:
        engine.dispose()
    copy = tmp_path / "backup.out"
    code, out, _ = run("db", "backup", str(copy), "--db", db_url)
    assert code == 0, out
    if db_url.startswith("sqlite"):
        assert "sqlite online backup" in out
        with sqlite3.connect(copy) as connection:
            rows = connection.execute("SELECT identifier FROM patients").fetchall()
        assert rows == [("MRN-B",)]
        code, out, _ = run("db", "backup", str(tmp_path / "b.json"), "--json", "--db", db_url)
        copy = tmp_path / "b.json"
    else:
        assert "json" in out
    document = json.loads(copy.read_text())
    assert document["revision"] == head_revision()
    assert [p["identifier"] for p in document["tables"]["patients"]] == ["MRN-B"]
    code, _, err = run("db", "backup", str(copy), "--db", db_url)
    assert code == 2 and "exists" in err
    # The JSON restores into another database, of either kind.
    target = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    code, out, err = run("db", "restore", str(copy), "--db", target)
    assert code == 0, err
    restored = make_engine(target)
    try:
        with make_sessionmaker(restored)() as session:
            found = find_patients(session, actor, identifier="MRN-B")
            assert [str(p.birth_date) for p in found] == ["1950-01-02"]
            session.commit()
    finally:
        restored.dispose()
    code, _, err = run("db", "restore", str(copy), "--db", target)
    assert code == 2 and "not empty" in err
