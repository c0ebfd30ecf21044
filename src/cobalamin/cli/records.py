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

from cobalamin.cli.common import Format, handle_errors, print_json
from cobalamin.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from cobalamin.storage.audit import Actor

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
NameArgument = Annotated[str, typer.Argument(help="The account name (see `users list`).")]


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


def _sessions(count: int) -> str:
    return f"{count} session{'' if count == 1 else 's'}"


def _cli_actor() -> Actor:
    """The command line as the audit log's actor (no signed-in user)."""
    from cobalamin.storage.audit import Actor

    return Actor(None, None, "", "cli")


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
        from cobalamin.storage.audit import record
        from cobalamin.storage.database import make_sessionmaker

        password = None if sso_only else _password()
        engine = _ready(db)
        try:
            with make_sessionmaker(engine)() as session:
                user = add_user(session, name, role, password)
                record(session, _cli_actor(), "user.add", user_id=user.id, role=role)
                session.commit()
        finally:
            engine.dispose()
        typer.echo(f"user {name} added ({role})")

    @users_app.command("list")
    @handle_errors
    def users_list(
        db: DbOption = None,
        output: Annotated[
            Format, typer.Option("--format", help="text (a table) or json.")
        ] = Format.text,
    ) -> None:
        """Every account: name, role, active or disabled, password or single sign-on only."""
        from cobalamin.storage.accounts import list_users
        from cobalamin.storage.audit import record
        from cobalamin.storage.database import make_sessionmaker

        engine = _ready(db)
        try:
            with make_sessionmaker(engine)() as session:
                rows = [
                    {
                        "name": user.name,
                        "role": user.role,
                        "state": "disabled" if user.disabled else "active",
                        "sign_in": "password" if user.password_hash else "sso-only",
                    }
                    for user in list_users(session)
                ]
                record(session, _cli_actor(), "user.list", count=len(rows))
                session.commit()
        finally:
            engine.dispose()
        if output is Format.json:
            print_json({"users": rows})
            return
        if not rows:
            typer.echo("no users yet: add one with `cobalamin users add NAME --role ROLE`")
            return
        columns = ("name", "role", "state", "sign_in")
        widths = [max(len(c), *(len(r[c]) for r in rows)) for c in columns]
        for line in ({c: c.replace("_", "-") for c in columns}, *rows):
            typer.echo(
                "  ".join(line[c].ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()
            )

    @users_app.command("set-password")
    @handle_errors
    def users_set_password(name: NameArgument, db: DbOption = None) -> None:
        """Set a user's password (read from standard input, as for `users add`); every
        session of the user ends, so they sign in again with the new password."""
        from cobalamin.storage.accounts import named_user, set_password
        from cobalamin.storage.audit import record
        from cobalamin.storage.database import make_sessionmaker

        engine = _ready(db)
        try:
            with make_sessionmaker(engine)() as session:
                named_user(session, name)  # an unknown name fails before the prompt
                session.rollback()  # hold no lock while the password is typed
                password = _password()
                user = named_user(session, name)
                ended = set_password(session, user, password)
                record(
                    session, _cli_actor(), "user.password", user_id=user.id, sessions_ended=ended
                )
                session.commit()
        finally:
            engine.dispose()
        typer.echo(f"password of {user.name} set; {_sessions(ended)} ended")

    def _set_disabled(name: str, db: str | None, disabled: bool) -> None:
        from cobalamin.storage.accounts import named_user, set_disabled
        from cobalamin.storage.audit import record
        from cobalamin.storage.database import make_sessionmaker

        action = "disabled" if disabled else "enabled"
        engine = _ready(db)
        try:
            with make_sessionmaker(engine)() as session:
                user = named_user(session, name)
                changed = user.disabled != disabled
                ended = set_disabled(session, user, disabled)
                record(
                    session,
                    _cli_actor(),
                    "user.disable" if disabled else "user.enable",
                    user_id=user.id,
                    changed=changed,
                    sessions_ended=ended,
                )
                session.commit()
        finally:
            engine.dispose()
        if not changed:
            typer.echo(f"user {user.name} was already {action}")
        elif disabled:
            typer.echo(
                f"user {user.name} disabled: no sign-in, no bearer token; {_sessions(ended)} ended"
            )
        else:
            typer.echo(f"user {user.name} enabled")

    @users_app.command("disable")
    @handle_errors
    def users_disable(name: NameArgument, db: DbOption = None) -> None:
        """Disable an account at once: no sign-in (password or single sign-on), its sessions
        end and its bearer tokens are refused while it is disabled."""
        _set_disabled(name, db, True)

    @users_app.command("enable")
    @handle_errors
    def users_enable(name: NameArgument, db: DbOption = None) -> None:
        """Enable a disabled account again (its ended sessions stay ended; its tokens that
        were not revoked work again)."""
        _set_disabled(name, db, False)

    @tokens_app.command("create")
    @handle_errors
    def tokens_create(
        name: Annotated[str, typer.Argument(help="The user the token acts for.")],
        db: DbOption = None,
    ) -> None:
        """Create a bearer token; it is printed once, as the last line, and stored only hashed."""
        from cobalamin.storage.accounts import create_token
        from cobalamin.storage.audit import record
        from cobalamin.storage.database import make_sessionmaker

        engine = _ready(db)
        try:
            with make_sessionmaker(engine)() as session:
                issued = create_token(session, name)
                record(session, _cli_actor(), "token.create", token=issued.id)
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
        from cobalamin.storage.audit import record
        from cobalamin.storage.database import make_sessionmaker

        engine = _ready(db)
        try:
            with make_sessionmaker(engine)() as session:
                if not revoke_token(session, token_id):
                    raise InputError("token_id", "no such token")
                record(
                    session,
                    _cli_actor(),
                    "token.revoke",
                    token=token_id_of(token_id),
                )
                session.commit()
        finally:
            engine.dispose()
        typer.echo(f"token {token_id_of(token_id)} revoked")
