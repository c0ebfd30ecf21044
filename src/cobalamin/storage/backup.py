"""Backups while the server runs.

- SQLite: the online backup API (``sqlite3.Connection.backup``) copies the database page by
  page into a new SQLite file, consistent even while others write.
- PostgreSQL, or any database with ``--format json``: a portable JSON document with every row
  of every table, read in one REPEATABLE READ transaction (one consistent snapshot), tagged
  with the schema revision. ``restore_json`` loads it into an empty database at the same
  revision, of either kind.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, Engine, func, insert, select, text
from sqlalchemy.sql.schema import Table

from cobalamin.errors import InputError
from cobalamin.storage.migrate import current_revision
from cobalamin.storage.models import Base, UtcDateTime

__all__ = ["BACKUP_FORMAT", "backup", "backup_json", "backup_sqlite", "restore_json"]

BACKUP_FORMAT = "cobalamin-records-backup"


def _fresh(path: Path) -> Path:
    if path.exists():
        raise InputError("file", f"{path} exists already; choose a new file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def backup_sqlite(engine: Engine, path: Path) -> None:
    target = sqlite3.connect(_fresh(path))
    raw = engine.raw_connection()
    try:
        source = raw.driver_connection
        assert isinstance(source, sqlite3.Connection)
        source.backup(target)
    finally:
        raw.close()
        target.close()


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def backup_json(engine: Engine, path: Path) -> dict[str, int]:
    """Every table as JSON; returns the row count per table."""
    _fresh(path)
    tables: dict[str, list[dict[str, Any]]] = {}
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    with engine.connect().execution_options(**options) as connection:
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        for table in Base.metadata.sorted_tables:
            rows = connection.execute(select(table).order_by(*table.primary_key.columns))
            tables[table.name] = [
                {key: _json_value(value) for key, value in row._mapping.items()} for row in rows
            ]
    document = {"format": BACKUP_FORMAT, "revision": revision, "tables": tables}
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return {name: len(rows) for name, rows in tables.items()}


def backup(engine: Engine, path: Path, *, as_json: bool = False) -> str:
    """Back up with the database's own method (or JSON); returns the method used."""
    if engine.dialect.name == "sqlite" and not as_json:
        backup_sqlite(engine, path)
        return "sqlite online backup"
    backup_json(engine, path)
    return "json"


def _typed(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    typed: dict[str, Any] = {}
    for key, value in row.items():
        kind = table.c[key].type
        if value is not None and isinstance(kind, UtcDateTime | DateTime):
            typed[key] = dt.datetime.fromisoformat(value)
        elif value is not None and isinstance(kind, Date):
            typed[key] = dt.date.fromisoformat(value)
        else:
            typed[key] = value
    return typed


def restore_json(engine: Engine, path: Path) -> dict[str, int]:
    """Load a JSON backup into an empty database at the backup's schema revision."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError("file", f"cannot read a backup from {path}: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != BACKUP_FORMAT:
        raise InputError("file", f"{path} is not a cobalamin records backup")
    revision = current_revision(engine)
    if revision != document["revision"]:
        raise InputError(
            "db",
            f"the database is at revision {revision}, the backup at {document['revision']}",
            "upgrade both to the same revision first",
        )
    counts: dict[str, int] = {}
    with engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            if connection.execute(select(func.count()).select_from(table)).scalar():
                raise InputError(
                    "db", f"table {table.name} is not empty; restore needs an empty database"
                )
            rows = [_typed(table, row) for row in document["tables"].get(table.name, [])]
            if rows:
                connection.execute(insert(table), rows)
            counts[table.name] = len(rows)
        if connection.dialect.name == "postgresql":
            for table in Base.metadata.sorted_tables:
                for column in table.primary_key.columns:
                    if column.autoincrement is True or (
                        column.autoincrement == "auto" and column.type.python_type is int
                    ):
                        connection.execute(
                            text(
                                "SELECT setval(pg_get_serial_sequence(:t, :c), "
                                f"COALESCE((SELECT max({column.name}) FROM {table.name}), 0) + 1, false)"
                            ),
                            {"t": table.name, "c": column.name},
                        )
    return counts
