"""Laboratory commands: ``batch`` (files of results), ``hl7`` (ORU^R01 in and out), ``trend``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from cobalamin.batch import ENGINES, Engine
from cobalamin.cli.common import PackPathOption, handle_errors
from cobalamin.defaults import knowledge_for

__all__ = ["register"]

PROGRESS_FROM_ROWS = 1_000_000


@contextmanager
def _progress_bar(enabled: bool | None) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr for long runs (auto: a terminal and at least 1M rows)."""
    if enabled is False or (enabled is None and not sys.stderr.isatty()):
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task("rows", total=None)
    started = False

    def update(done: int, total: int) -> None:
        nonlocal started
        if not started and (enabled or total >= PROGRESS_FROM_ROWS):
            bar.start()
            started = True
        bar.update(task, completed=done, total=total)

    try:
        yield update
    finally:
        if started:
            bar.stop()


def register(app: typer.Typer) -> None:
    """Add ``batch``, ``hl7`` and ``trend`` to the cobalamin command."""

    @app.command("batch")
    @handle_errors
    def batch(
        input_path: Annotated[Path, typer.Argument(help="CSV or Parquet, long or wide form")],
        pack: Annotated[str, typer.Option("--pack", help="pack id or path")],
        out: Annotated[Path, typer.Option("--out", help="output .csv or .parquet")],
        pack_path: PackPathOption = None,
        errors: Annotated[
            Path | None, typer.Option("--errors", help="error file (default OUT.errors.csv)")
        ] = None,
        engine: Annotated[
            str, typer.Option("--engine", help=f"one of {', '.join(ENGINES)}")
        ] = "polars",
        progress: Annotated[
            bool | None, typer.Option("--progress/--no-progress", help="default: on a terminal")
        ] = None,
    ) -> None:
        """Interpret every sample of a lab file; bad rows go to the error file."""
        from cobalamin.batch.run import run_batch
        from cobalamin.errors import InputError

        if engine not in ENGINES:
            raise InputError("--engine", f"unknown engine {engine!r}", ", ".join(ENGINES))
        chosen: Engine = engine
        knowledge = knowledge_for(pack_path)
        loaded = knowledge.pack(pack)
        with _progress_bar(progress) as update:
            report = run_batch(input_path, loaded, out, errors, chosen, update, knowledge=knowledge)
        typer.echo(report.summary())

    @app.command("hl7")
    @handle_errors
    def hl7(
        input_path: Annotated[Path, typer.Argument(help="ORU^R01 messages, MLLP-framed or plain")],
        pack: Annotated[str, typer.Option("--pack", help="pack id or path")],
        out: Annotated[Path, typer.Option("--out", help="where the interpreted ORU^R01 go")],
        pack_path: PackPathOption = None,
        mllp: Annotated[bool, typer.Option("--mllp", help="frame the output with MLLP")] = False,
    ) -> None:
        """Interpret HL7 v2 result messages; comments as NTE, reflex tests as new ORC/OBR."""
        from cobalamin.interop.hl7v2 import interpret_file

        knowledge = knowledge_for(pack_path)
        report = interpret_file(
            input_path, knowledge.pack(pack), out, knowledge=knowledge, mllp=mllp
        )
        typer.echo(report.summary())
        for problem in report.problems:
            typer.echo(f"error: {problem}", err=True)
        if report.problems and not report.written:
            raise typer.Exit(2)

    @app.command("trend")
    @handle_errors
    def trend(
        input_path: Annotated[Path, typer.Argument(help="results with patient_id and date")],
        out: Annotated[Path, typer.Option("--out", help="output .csv or .parquet")],
    ) -> None:
        """Per patient and test: change since the previous result, direction, days between."""
        from cobalamin.batch.trend import write_trend

        rows = write_trend(input_path, out, knowledge_for(None))
        typer.echo(f"trend rows: {rows} -> {out}")
