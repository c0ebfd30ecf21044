"""Laboratory commands: ``batch`` (files of results), ``hl7`` (ORU^R01 in and out, a file or an
MLLP listener), ``trend``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from cobalamin.batch import ENGINES, Engine
from cobalamin.cli.common import Lang, PackPathOption, handle_errors
from cobalamin.defaults import knowledge_for

if TYPE_CHECKING:
    from cobalamin.knowledge.local_codes import LocalCodes
    from cobalamin.knowledge.registry import Knowledge

__all__ = ["register"]

PROGRESS_FROM_ROWS = 1_000_000

CodesOption = Annotated[
    Path | None,
    typer.Option("--codes", help="the site's local test codes (YAML or CSV: code, test, unit)"),
]
LangsOption = Annotated[
    list[Lang] | None,
    typer.Option("--lang", help="language of the comments (repeatable; default nl and en)"),
]


def _codes(path: Path | None, knowledge: Knowledge) -> LocalCodes | None:
    if path is None:
        return None
    from cobalamin.knowledge.local_codes import LocalCodes

    return LocalCodes.load(path, knowledge.analytes)


class _FileOrCommand(TyperGroup):
    """``cobalamin hl7 FILE ...`` interprets a file; ``cobalamin hl7 serve ...`` listens."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["file", *args]
        return super().parse_args(ctx, args)


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


def _langs(chosen: list[Lang] | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(lang.value for lang in chosen)) if chosen else ("nl", "en")


def _no_codes() -> Any:
    from cobalamin.knowledge.local_codes import LocalCodes

    return LocalCodes.empty()


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
        codes: CodesOption = None,
    ) -> None:
        """Interpret every sample of a lab file; bad rows go to the error file."""
        from cobalamin.batch.run import run_batch
        from cobalamin.errors import InputError

        if engine not in ENGINES:
            raise InputError("--engine", f"unknown engine {engine!r}", ", ".join(ENGINES))
        chosen: Engine = engine
        knowledge = knowledge_for(pack_path)
        loaded = knowledge.pack(pack)
        local = _codes(codes, knowledge)
        with _progress_bar(progress) as update:
            report = run_batch(
                input_path, loaded, out, errors, chosen, update, knowledge=knowledge, codes=local
            )
        typer.echo(report.summary())

    hl7_app = typer.Typer(
        cls=_FileOrCommand,
        no_args_is_help=True,
        help="HL7 v2 ORU^R01: interpret a file (cobalamin hl7 FILE ...) or listen (hl7 serve).",
    )
    app.add_typer(hl7_app, name="hl7")

    @hl7_app.command("file")
    @handle_errors
    def hl7_file(
        input_path: Annotated[Path, typer.Argument(help="ORU^R01 messages, MLLP-framed or plain")],
        pack: Annotated[str, typer.Option("--pack", help="pack id or path")],
        out: Annotated[Path, typer.Option("--out", help="where the interpreted ORU^R01 go")],
        pack_path: PackPathOption = None,
        mllp: Annotated[bool, typer.Option("--mllp", help="frame the output with MLLP")] = False,
        ack: Annotated[
            Path | None, typer.Option("--ack", help="write an ACK per input message here")
        ] = None,
        rejected: Annotated[
            Path | None,
            typer.Option("--rejected", help="write the messages that could not be read here"),
        ] = None,
        codes: CodesOption = None,
        lang: LangsOption = None,
    ) -> None:
        """Interpret a file of HL7 v2 result messages (comments, alerts, reflex orders).

        Comments and safety alerts go in NTE segments, reflex tests in new ORC/OBR pairs; with
        --ack, an acknowledgement (AA, AE or AR) is written for every message; with --rejected,
        the messages that could not be interpreted are kept as they came.
        """
        from cobalamin.interop.hl7v2 import interpret_file

        knowledge = knowledge_for(pack_path)
        report = interpret_file(
            input_path, knowledge.pack(pack), out, knowledge=knowledge, mllp=mllp, ack=ack,
            rejected=rejected, codes=_codes(codes, knowledge), langs=_langs(lang),
        )  # fmt: skip
        typer.echo(report.summary())
        for problem in report.problems:
            typer.echo(f"error: {problem}", err=True)
        if report.problems and not report.written:
            raise typer.Exit(2)

    @hl7_app.command("serve")
    @handle_errors
    def hl7_serve(
        port: Annotated[int, typer.Option("--port", help="TCP port to listen on")],
        pack: Annotated[str, typer.Option("--pack", help="pack id or path")],
        out: Annotated[Path, typer.Option("--out", help="folder for the interpreted messages")],
        host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
        pack_path: PackPathOption = None,
        codes: CodesOption = None,
        lang: LangsOption = None,
    ) -> None:
        """Listen for HL7 v2 over MLLP and answer every message with its ACK.

        Each message is interpreted and written to --out before its ACK is sent on the same
        connection; rejected messages are kept in --out/rejected with their ACK.
        """
        import logging
        import signal

        from cobalamin.errors import InputError
        from cobalamin.interop.mllp import MLLPServer, Settings

        knowledge = knowledge_for(pack_path)
        if out.exists() and not out.is_dir():
            raise InputError("--out", f"{out} is not a folder")
        out.mkdir(parents=True, exist_ok=True)
        settings = Settings(
            knowledge.pack(pack), knowledge, out, _codes(codes, knowledge) or _no_codes(),
            _langs(lang),
        )  # fmt: skip
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
        try:
            server = MLLPServer(settings, host, port)
        except OSError as exc:
            raise InputError("--port", f"cannot listen on {host}:{port}: {exc}") from None
        typer.echo(f"listening on {server.host}:{server.port} (MLLP); messages -> {out}", err=True)

        def stop(signum: int, frame: object) -> None:
            raise KeyboardInterrupt  # SIGTERM stops as Ctrl-C does: open connections close

        signal.signal(signal.SIGTERM, stop)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.close()

    @app.command("trend")
    @handle_errors
    def trend(
        input_path: Annotated[Path, typer.Argument(help="results with patient_id and date")],
        out: Annotated[Path, typer.Option("--out", help="output .csv, .parquet, .jsonl or .xlsx")],
        errors: Annotated[
            Path | None, typer.Option("--errors", help="error file (default OUT.errors.csv)")
        ] = None,
        cva: Annotated[
            list[str] | None,
            typer.Option(
                "--cva",
                help="the laboratory's analytical CV of a test in percent, e.g. b12=4.5 "
                "(repeatable); changes are flagged against a reference change value only for "
                "tests given here",
            ),
        ] = None,
        codes: CodesOption = None,
    ) -> None:
        """Per patient and test: change since the previous result, direction, days between,
        and whether the change exceeds the reference change value."""
        from cobalamin.batch.trend import write_trend

        knowledge = knowledge_for(None)
        report = write_trend(
            input_path, out, knowledge, errors, _cvas(cva or []), _codes(codes, knowledge)
        )
        typer.echo(report.summary())


def _cvas(items: list[str]) -> dict[str, float]:
    from cobalamin.errors import InputError

    found: dict[str, float] = {}
    for item in items:
        test, _, number = item.partition("=")
        try:
            found[test.strip()] = float(number.replace(",", "."))
        except ValueError:
            raise InputError("--cva", f"{item!r} is not TEST=PERCENT", "e.g. b12=4.5") from None
    return found
