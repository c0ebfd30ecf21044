"""Alembic's entry point. cobalamin runs migrations only from code: the caller hands over an
open connection in ``config.attributes["connection"]`` (see ``cobalamin.storage.migrate``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from cobalamin.storage.models import Base

# An arbitrary constant: two servers starting at once take turns upgrading PostgreSQL.
_PG_LOCK_KEY = 0x0C0BA1A
connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `cobalamin db upgrade`, not the alembic command")
if connection.dialect.name == "postgresql":
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
context.configure(connection=connection, target_metadata=Base.metadata)
with context.begin_transaction():
    context.run_migrations()
