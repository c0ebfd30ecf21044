"""Where the records live: the database URL, an engine with durable settings, sessions.

SQLite (the default, one file) runs in WAL mode with ``synchronous=FULL``: a commit returns only
after the write-ahead log is on disk, so an acknowledged write survives ``kill -9`` of the server
and a power cut alike (NORMAL would survive a killed process but may lose the last commits on a
power cut). Every transaction starts with ``BEGIN IMMEDIATE``: nearly every request writes (each
read is audited), and a deferred transaction that later wants to write would fail at once with
"database is locked" instead of waiting its turn. ``secure_delete`` overwrites erased rows.

Statement parameters are kept out of error messages and logs (``hide_parameters``): they
are patients' data.

PostgreSQL is reached through psycopg 3 (``postgresql+psycopg://user@host/db``; a plain
``postgresql://`` URL is read the same way). Its defaults (``synchronous_commit=on``) are durable.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from cobalamin.errors import InputError

__all__ = [
    "DATABASE_URL_ENV",
    "READ_ONLY",
    "database_url",
    "default_sqlite_path",
    "describe_url",
    "make_engine",
    "make_read_sessionmaker",
    "make_sessionmaker",
]

DATABASE_URL_ENV = "COBALAMIN_DATABASE_URL"
_ALLOWED = "sqlite:///PATH/records.sqlite3 or postgresql+psycopg://USER@HOST:PORT/DATABASE"
_SQLITE_BUSY_MS = 30_000  # how long a writer waits for another (cobalamin's own choice)


def default_sqlite_path() -> Path:
    """``$COBALAMIN_DATA_DIR/records.sqlite3``, else under ``$XDG_DATA_HOME`` (~/.local/share)."""
    folder = os.environ.get("COBALAMIN_DATA_DIR")
    if folder:
        return Path(folder) / "records.sqlite3"
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "cobalamin" / "records.sqlite3"


def database_url(given: str | None = None) -> str:
    """The URL given (``--db``), else ``$COBALAMIN_DATABASE_URL``, else the default SQLite file."""
    raw = given or os.environ.get(DATABASE_URL_ENV) or f"sqlite:///{default_sqlite_path()}"
    return _parse(raw).render_as_string(hide_password=False)


def describe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    return _parse(url).render_as_string(hide_password=True)


def _parse(raw: str) -> URL:
    try:
        url = make_url(raw)
    except ArgumentError:
        raise InputError("db", "not a database URL", _ALLOWED) from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise InputError(
                "db", "an in-memory SQLite database is lost when the process ends", _ALLOWED
            )
        return url
    if backend == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    raise InputError("db", f"unsupported database {backend!r}", _ALLOWED)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event below start transactions, not the sqlite3 module.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=FULL",
        "foreign_keys=ON",
        "secure_delete=ON",
        f"busy_timeout={_SQLITE_BUSY_MS}",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


# An execution option: this engine view only reads, so its transactions need no write lock.
READ_ONLY = "cobalamin_read_only"


def _sqlite_begin(connection: Any) -> None:
    # A writer takes the lock when it begins, so two writers never deadlock on an upgrade; a
    # reader (the sign-in check on every request) begins deferred and, under WAL, never waits.
    deferred = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """An engine for the URL (see the module's notes on durability)."""
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        assert parsed.database is not None  # checked by _parse
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            parsed, connect_args={"timeout": _SQLITE_BUSY_MS / 1000}, hide_parameters=True
        )
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(parsed, pool_pre_ping=True, hide_parameters=True)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def make_read_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that only read (checking a token or a session cookie): on SQLite they do not
    take the write lock, so they never queue behind, or hold up, the writers."""
    return sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)
