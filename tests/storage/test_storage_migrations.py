"""Migrations build the schema the models describe, and upgrade a database made at the first
revision, with data in it, without losing any of it."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError

from cobalamin import default_knowledge
from cobalamin.storage.accounts import check_password, create_token, sso_user, user_for_token
from cobalamin.storage.audit import Actor, audit_entries
from cobalamin.storage.database import make_engine, make_sessionmaker
from cobalamin.storage.migrate import current_revision, head_revision, upgrade
from cobalamin.storage.models import AuditEntry, Base, Patient, Sample, User
from cobalamin.storage.records import add_plan, add_results, patient_record

PASSWORD = "correct horse battery staple"


def test_upgrade_builds_the_schema_the_models_describe(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) is None
        assert upgrade(engine) == head_revision()
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert differences == []
        assert upgrade(engine) == head_revision()  # running it again changes nothing
    finally:
        engine.dispose()


def test_a_database_made_at_the_first_revision_keeps_its_data_when_upgraded(db_url: str) -> None:
    from argon2 import PasswordHasher

    engine = make_engine(db_url)
    try:
        assert upgrade(engine, "0001") == "0001"
        token = "cbl_0123456789abcdef_" + "s" * 43
        now = dt.datetime.now(dt.UTC)
        results = [{"test": "b12", "value": 120, "unit": "pmol/L"}]
        with engine.begin() as connection:
            # What version 0001 wrote: only the columns that existed then.
            connection.execute(
                insert(User.__table__).values(
                    id=1,
                    name="anna",
                    role="clinician",
                    disabled=False,
                    created_at=now,
                    password_hash=PasswordHasher().hash(PASSWORD),
                )
            )
            connection.execute(
                text(
                    "INSERT INTO api_tokens (id, user_id, secret_sha256, created_at) "
                    "VALUES (:id, 1, :sha, :at)"
                ),
                {
                    "id": "0123456789abcdef",
                    "sha": hashlib.sha256(token.encode()).hexdigest(),
                    "at": now.replace(tzinfo=None),
                },
            )
            connection.execute(
                insert(Patient.__table__).values(
                    id="p" * 32,
                    identifier="MRN-OLD-1",
                    name=None,
                    birth_date=dt.date(1960, 5, 1),
                    sex="female",
                    pack="nice-ng239",
                    person={"diet": "vegan"},
                    created_at=now,
                    updated_at=now,
                )
            )
            connection.execute(
                insert(AuditEntry.__table__).values(
                    at=now,
                    user_id=1,
                    user_name="anna",
                    via="token",
                    action="patient.create",
                    patient_id="p" * 32,
                )
            )
        assert upgrade(engine) == head_revision()
        knowledge = default_knowledge()
        with make_sessionmaker(engine)() as session:
            user = user_for_token(session, token)
            assert user is not None and user.name == "anna"
            assert check_password(session, "anna", PASSWORD) is user
            actor = Actor.of(user, "token")
            # The new revision's features work on the old data.
            add_results(
                session,
                actor,
                "p" * 32,
                {"sample_date": "2025-01-10", "results": results},
                knowledge,
            )
            add_plan(
                session, actor, "p" * 32, {"regimen": "nice-im", "start": "2025-01-12"}, knowledge
            )
            assert sso_user(session, "https://idp.example", "sub-1", "anna") is user
            session.commit()
            record = patient_record(session, actor, "p" * 32)
            assert record["patient"]["identifier"] == "MRN-OLD-1"
            assert record["patient"]["person"] == {"diet": "vegan"}
            assert [p["regimen"] for p in record["plans"]] == ["nice-im"]
            assert session.scalar(select(Sample.sample_date)) == dt.date(2025, 1, 10)
            actions = [e["action"] for e in audit_entries(session, patient_id="p" * 32)]
            assert actions[0] == "patient.create"  # the entry written at revision 0001
            assert create_token(session, "anna").token.startswith("cbl_")
    finally:
        engine.dispose()


def test_the_audit_log_refuses_update_and_delete(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        with engine.begin() as connection:
            connection.execute(
                insert(AuditEntry.__table__).values(
                    at=dt.datetime.now(dt.UTC), via="cli", action="test.entry"
                )
            )
        statements = ["UPDATE audit_log SET action = 'changed'", "DELETE FROM audit_log"]
        if engine.dialect.name == "postgresql":
            statements.append("TRUNCATE audit_log")
        for statement in statements:
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
                connection.execute(text(statement))
        with engine.connect() as connection:
            assert connection.execute(select(AuditEntry.action)).scalars().all() == ["test.entry"]
    finally:
        engine.dispose()
