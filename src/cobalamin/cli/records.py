"""``db``, ``users`` and ``tokens``: the records database and its accounts on the command line.

The database is ``--db URL``, else ``$COBALAMIN_DATABASE_URL``, else the default SQLite file.
Storage modules are imported inside the commands, so the rest of the command line starts fast
and works without the ``web`` extra.
"""

from __future__ import annotations

import sys
from getpass import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cobalamin.cli.common import handle_errors
from cobalamin.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["register"]

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL: sqlite:///FILE or postgresql+psycopg://USER@HOST/DB "
        "(default: $COBALAMIN_DATABASE_URL, else a SQLite file in the user's data folder).",
    ),
]
ROLE_HELP = "clinician, lab or admin"


def _engine(db: str | None) -> Engine:
    try:
        from cobalamin.storage.database import database_url, make_engine
    except ImportError as exc:
        raise InputError(
            "records",
            f"needs the records extra ({exc.name} is missing)",
            "pip install 'cobalamin[web]'",
        ) from None
    return make_engine(database_url(db))


def _ready(db: str | None) -> Engine:
    """The engine of a database at the newest schema (upgraded first when needed)."""
    from cobalamin.storage.migrate import upgrade

    engine = _engine(db)
    upgrade(engine)
    return engine


def _password() -> str:
    """The password from standard input: typed twice at a terminal, else its first line."""
    if sys.stdin is None:
        raise InputError("password", "no standard input to read the password from")
    if sys.stdin.isatty():
        first = getpass("Password: ")
        if getpass("Password again: ") != first:
            raise InputError("password", "the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def register(app: typer.Typer) -> None:
    """Add the ``db``, ``users`` and ``tokens`` command groups."""
    db_app = typer.Typer(
        help="The records database: upgrade, back up, restore.", no_args_is_help=True
    )
    users_app = typer.Typer(help="Accounts of the records server.", no_args_is_help=True)
    tokens_app = typer.Typer(help="Bearer tokens for the records API.", no_args_is_help=True)
    app.add_typer(db_app, name="db")
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")

    @db_app.command("upgrade")
    @handle_errors
    def db_upgrade(db: DbOption = None) -> None:
        """Create the database or bring it to the newest schema (runs the migrations)."""
        from cobalamin.storage.migrate import current_revision, upgrade

        engine = _engine(db)
        try:
            before = current_revision(engine)
            after = upgrade(engine)
        finally:
            engine.dispose()
        where = engine.url.render_as_string(hide_password=True)
        typer.echo(f"{where}: schema revision {before or 'none'} -> {after}")

    @db_app.command("backup")
    @handle_errors
    def db_backup(
        file: Annotated[Path, typer.Argument(help="A new file to write the backup to.")],
        db: DbOption = None,
        json_format: Annotated[
            bool, typer.Option("--json", help="Write portable JSON also for SQLite.")
        ] = False,
    ) -> None:
        """Back up while the server runs: SQLite with its online backup API (a SQLite file);
        PostgreSQL (or --json) as portable JSON of every table, read in one snapshot."""
        from cobalamin.storage.backup import backup

        engine = _ready(db)
        try:
            method = backup(engine, file, as_json=json_format)
        finally:
            engine.dispose()
        typer.echo(f"backup written to {file} ({method})")

    @db_app.command("restore")
    @handle_errors
    def db_restore(
        file: Annotated[Path, typer.Argument(help="A JSON backup written by `db backup`.")],
        db: DbOption = None,
    ) -> None:
        """Load a JSON backup into an empty database (SQLite or PostgreSQL)."""
        from cobalamin.storage.backup import restore_json

        engine = _ready(db)
        try:
            counts = restore_json(engine, file)
        finally:
            engine.dispose()
        typer.echo(f"restored {sum(counts.values())} rows from {file}")

    @users_app.command("add")
    @handle_errors
    def users_add(
        name: Annotated[str, typer.Argument(help="The account name.")],
        role: Annotated[str, typer.Option("--role", help=ROLE_HELP)],
        db: DbOption = None,
        sso_only: Annotated[
            bool,
            typer.Option(
                "--sso-only",
                help="No password: the user signs in only through the "
                "hospital's identity provider (matched by user name on first sign-on).",
            ),
        ] = False,
    ) -> None:
        """Add a user; the password is read from standard input."""
        from cobalamin.storage.accounts import add_user
        from cobalamin.storage.audit import Actor, record
        from cobalamin.storage.database import make_sessionmaker

        password = None if sso_only else _password()
        engine = _ready(db)
        try:
            with make_sessionmaker(engine)() as session:
                user = add_user(session, name, role, password)
                record(
                    session, Actor(None, None, "", "cli"), "user.add", user_id=user.id, role=role
                )
                session.commit()
        finally:
            engine.dispose()
        typer.echo(f"user {name} added ({role})")

    @tokens_app.command("create")
    @handle_errors
    def tokens_create(
        name: Annotated[str, typer.Argument(help="The user the token acts for.")],
        db: DbOption = None,
    ) -> None:
        """Create a bearer token; it is printed once, as the last line, and stored only hashed."""
        from cobalamin.storage.accounts import create_token
        from cobalamin.storage.audit import Actor, record
        from cobalamin.storage.database import make_sessionmaker

        engine = _ready(db)
        try:
            with make_sessionmaker(engine)() as session:
                issued = create_token(session, name)
                record(session, Actor(None, None, "", "cli"), "token.create", token=issued.id)
                session.commit()
        finally:
            engine.dispose()
        typer.echo(f"token {issued.id} for {name}; keep it secret, it is not shown again:")
        typer.echo(issued.token)

    @tokens_app.command("revoke")
    @handle_errors
    def tokens_revoke(
        token_id: Annotated[str, typer.Argument(help="The token's id (or the whole token).")],
        db: DbOption = None,
    ) -> None:
        """Revoke a token at once."""
        from cobalamin.storage.accounts import revoke_token, token_id_of
        from cobalamin.storage.audit import Actor, record
        from cobalamin.storage.database import make_sessionmaker

        engine = _ready(db)
        try:
            with make_sessionmaker(engine)() as session:
                if not revoke_token(session, token_id):
                    raise InputError("token_id", "no such token")
                record(
                    session,
                    Actor(None, None, "", "cli"),
                    "token.revoke",
                    token=token_id_of(token_id),
                )
                session.commit()
        finally:
            engine.dispose()
        typer.echo(f"token {token_id_of(token_id)} revoked")
