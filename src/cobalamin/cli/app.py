"""The ``cobalamin`` command: one typer app; each module adds its commands via ``register``."""

from __future__ import annotations

import typer

import cobalamin.cli.body as body
import cobalamin.cli.care as care
import cobalamin.cli.clinical as clinical
import cobalamin.cli.lab as lab
import cobalamin.cli.records as records
import cobalamin.cli.serve as serve
import cobalamin.cli.sources as sources

__all__ = ["app", "main"]

app = typer.Typer(
    name="cobalamin",
    help="Decision support for vitamin B12 deficiency. Output is decision support for "
    "professionals, never a diagnosis.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Each command module registers its commands here (one line each).
clinical.register(app)
care.register(app)
body.register(app)
lab.register(app)
records.register(app)
serve.register(app)
sources.register(app)


def main() -> None:
    app()
