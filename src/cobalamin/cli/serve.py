"""``cobalamin serve``: the web application under uvicorn (FastAPI is imported only here,
and only when the command runs, so ``import cobalamin`` and the other commands stay light)."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Annotated

import typer

from cobalamin.cli.common import PackPathOption, handle_errors

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the app."""

    @app.command("serve")
    @handle_errors
    def serve(
        host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
        db: Annotated[
            str | None,
            typer.Option(
                "--db",
                help="Database URL (default: a SQLite file in the data folder; also "
                "$COBALAMIN_DATABASE_URL).",
            ),
        ] = None,
        public_url: Annotated[
            str | None,
            typer.Option(
                "--public-url", help="The address clients use (e.g. https://b12.example.org)."
            ),
        ] = None,
        data_dir: Annotated[
            Path | None,
            typer.Option(
                "--data-dir",
                help="Folder for the database and lab jobs (default ./cobalamin-data; also $COBALAMIN_DATA_DIR).",
            ),
        ] = None,
        lab: Annotated[
            bool | None,
            typer.Option(
                "--lab/--no-lab",
                help="Switch the laboratory upload page on (also $COBALAMIN_LAB_ENABLED).",
            ),
        ] = None,
        open_calculators: Annotated[
            bool | None,
            typer.Option(
                "--open-calculators/--closed-calculators",
                help="Calculators without login (default open; also $COBALAMIN_OPEN_CALCULATORS).",
            ),
        ] = None,
        pack_path: PackPathOption = None,
        cds_trust: Annotated[
            Path | None,
            typer.Option(
                "--cds-trust",
                help="CDS Hooks: JSON or YAML list of trusted EHRs {iss, jwks_url | jwks} "
                "(also $COBALAMIN_CDS_TRUST; without it every CDS call answers 401).",
            ),
        ] = None,
    ) -> None:
        """Start the web application: pages for patients, clinicians and laboratories, and the JSON API."""
        try:
            import uvicorn

            from cobalamin.web.records import log_config
            from cobalamin.web.server import build_app
            from cobalamin.web.settings import Settings
        except ImportError as exc:
            from cobalamin.errors import InputError

            raise InputError(
                "serve",
                f"the web extra is not installed ({exc.name})",
                "pip install 'cobalamin[web]'",
            ) from None
        settings = Settings.from_env(
            host=host, port=port, db_url=db, public_url=public_url, data_dir=data_dir,
            lab_enabled=lab, open_calculators=open_calculators,
            pack_path=tuple(pack_path) if pack_path else None, cds_trust=cds_trust,
        )  # fmt: skip
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        application = build_app(settings)
        typer.echo(f"cobalamin is running: open {settings.public_url}/ in your browser")
        typer.echo(
            f"  (English: {settings.public_url}/?lang=en · Nederlands: {settings.public_url}/?lang=nl)"
        )
        typer.echo(
            f"  JSON API: {settings.public_url}/api/v1 · OpenAPI: {settings.public_url}/openapi.json"
        )
        typer.echo(
            f"  database: {settings.db_url} · laboratory page: {'on (sign in)' if settings.lab_enabled else 'off'}"
        )
        typer.echo(
            "  records and the laboratory page need an account: "
            "cobalamin users add NAME --role clinician|lab|admin"
        )
        typer.echo("  stop with Ctrl+C")
        # Everything loaded by now (modules, the knowledge, the warmed packs) lives as long as
        # the server: keep it out of the garbage collector's full passes, whose pauses were
        # the latency tail (GET /health p99 155 -> 16 ms under load, benchmarks/bench_service.py)
        gc.collect()
        gc.freeze()
        uvicorn.run(
            application,
            host=settings.host,
            port=settings.port,
            log_level="info",
            access_log=True,  # paths only: the filters drop query strings and error messages
            log_config=log_config(),
        )
