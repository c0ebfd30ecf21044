"""One batch run: read, validate, interpret, write atomically, count.

Every input row ends up in exactly one place: in the output (as part of its sample's row; the
``rows`` column says how many input rows a sample used) or in the error file (line, field,
reason). The run checks ``rows_in == rows_ok + rows_error`` before it reports success.
Both files are written to a temporary name beside the target and renamed only when complete,
so a run that is killed leaves no half-written output, and running it again gives the same.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from cobalamin.batch.compile import CompiledPack, apply_polars, compile_pack
from cobalamin.batch.engines import ENGINES, KEEP, Engine, normalise_output
from cobalamin.batch.files import Writer, is_parquet, sink
from cobalamin.batch.io import ERROR_SCHEMA, read_lab_file
from cobalamin.batch.staged import PART_ROWS, run_in_parts
from cobalamin.errors import CobalaminError, InputError
from cobalamin.knowledge.model import Pack
from cobalamin.knowledge.registry import Knowledge
from cobalamin.version import provenance

__all__ = ["Progress", "RunReport", "default_errors_path", "run_batch"]

Progress = Callable[[int, int], None]  # (rows done, rows in)


@dataclass(frozen=True)
class RunReport:
    pack: str
    pack_sha256: str
    engine: str
    form: str
    rows_in: int
    rows_ok: int
    rows_error: int
    samples: int
    out: Path
    errors: Path

    def summary(self) -> str:
        return (
            f"rows in: {self.rows_in}, rows ok: {self.rows_ok}, rows with errors: "
            f"{self.rows_error}; samples interpreted: {self.samples} ({self.form} form, "
            f"pack {self.pack}, engine {self.engine}) -> {self.out}; errors -> {self.errors}\n"
            f"{provenance(self.pack, self.pack_sha256)}"
        )


def default_errors_path(out: Path) -> Path:
    return out.with_name(f"{out.stem}.errors.csv")


def _partial(path: Path) -> Path:
    """The temporary name a run writes to (same folder, same suffix, so the same format)."""
    return path.with_name(f".{path.stem}.partial-{os.getpid()}{path.suffix}")


def _clean_stale(path: Path) -> None:
    """Remove temporary files an earlier, killed run left beside ``path``."""
    for stale in path.parent.glob(f".{path.stem}.partial-*"):
        pid = stale.name.rsplit("partial-", 1)[-1].split(".")[0].split("-")[0]
        alive = False
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                os.kill(int(pid), 0)
                alive = True
            except OSError:
                alive = False
        if not alive:
            with contextlib.suppress(OSError):
                stale.unlink() if stale.is_file() else shutil.rmtree(stale)


def _empty_output(compiled: CompiledPack) -> pl.DataFrame:
    frame = pl.DataFrame(
        {"sample_id": [], "rows": [], "_order": []},
        schema={"sample_id": pl.String, "rows": pl.Int64, "_order": pl.Int64},
    )
    for name in ("deficiency", "next_tests", "reflex_tests", "alerts", "comment_en", "comment_nl",
                 "pack_sha256", "engine_version"):  # fmt: skip
        frame = frame.with_columns(pl.lit(None, pl.String).alias(name))
    frame = frame.with_columns(severe=pl.lit(None, pl.Boolean), cb12=pl.lit(None, pl.Float64))
    return normalise_output(frame)  # type: ignore[no-any-return]


def _counted(frame: pl.LazyFrame, column: str, tell: Callable[[int], None]) -> pl.LazyFrame:
    """``frame`` whose ``column`` tells how many rows have passed (once per streamed batch)."""
    seen = 0
    lock = threading.Lock()
    dtype = frame.collect_schema()[column]

    def count(series: pl.Series) -> pl.Series:
        nonlocal seen
        with lock:  # batches arrive on the engine's threads
            seen += len(series)
            tell(seen)
        return series

    passed = pl.col(column).map_batches(count, return_dtype=dtype, is_elementwise=True)
    return frame.with_columns(passed)


def _run_wide(
    rowwise: pl.LazyFrame,
    errors_plan: pl.LazyFrame,
    compiled: CompiledPack,
    out: Path,
    errors: Path,
    rows_in: int,
    progress: Progress | None,
) -> None:
    """Wide form on polars: one streaming pass (shared scan), two sinks written in parallel."""
    if progress is not None:  # counted on a column every output row has (rows with errors
        # may be filtered out before it: the count then ends short, and the run's end says done)
        rowwise = _counted(rowwise, "sample_id", lambda done: progress(min(done, rows_in), rows_in))
    fine = rowwise.filter(pl.col("_check") < 0).drop("_check", "_field", "_reason")
    good_rows = normalise_output(apply_polars(compiled, fine, KEEP), text=not is_parquet(out))
    pl.collect_all([sink(good_rows, out), sink(errors_plan, errors)], engine="streaming")


@contextlib.contextmanager
def _workdir(near: Path) -> Iterator[Path]:
    path = Path(
        tempfile.mkdtemp(prefix=f".{near.stem}.partial-{os.getpid()}-work-", dir=near.parent)
    )
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _count(path: Path, column: str | None = None) -> int:
    frame = pl.scan_parquet(path) if is_parquet(path) else pl.scan_csv(path, infer_schema=False)
    if column is None:
        return int(frame.select(pl.len()).collect().item())
    return int(frame.select(pl.col(column).cast(pl.Int64).sum()).collect().item() or 0)


def run_batch(
    input_path: Path,
    pack: Pack | str,
    out: Path,
    errors: Path | None = None,
    engine: Engine = "polars",
    progress: Progress | None = None,
    part_rows: int = PART_ROWS,
    *,
    knowledge: Knowledge,
) -> RunReport:
    """Interpret every sample of a lab file with one pack; see the module docstring.

    Wide form on polars streams in one pass; long form and the other engines run in parts of
    at most ``part_rows`` rows (``cobalamin.batch.staged``). ``progress`` is told the rows done.
    """
    if engine not in ENGINES:
        raise InputError("engine", f"unknown engine {engine!r}", ", ".join(ENGINES))
    pack = pack if isinstance(pack, Pack) else knowledge.pack(pack)
    errors = errors or default_errors_path(out)
    if out.resolve() == errors.resolve() or out.resolve() == input_path.resolve():
        raise InputError("out", "the output must differ from the input and the error file")
    if not out.parent.is_dir() or not errors.parent.is_dir():
        raise InputError("out", f"the folder of {out} or {errors} does not exist")
    for target in (out, errors):
        _clean_stale(target)
    lab = read_lab_file(input_path, knowledge)
    compiled = compile_pack(pack, knowledge, lab.constants)
    out_tmp, err_tmp = _partial(out), _partial(errors)
    try:
        if engine == "polars" and lab.rowwise is not None:
            _run_wide(lab.rowwise, lab.errors, compiled, out_tmp, err_tmp, lab.rows_in, progress)
        else:
            text = not is_parquet(out)
            out_writer, err_writer = Writer(out_tmp), Writer(err_tmp)
            with _workdir(out) as work:
                run_in_parts(
                    lab,
                    compiled,
                    engine,
                    work,
                    lambda frame: out_writer.write(normalise_output(frame, text=text)),
                    err_writer.write,
                    part_rows,
                    None if progress is None else lambda done: progress(done, lab.rows_in),
                )
            out_writer.close(_empty_output(compiled))
            err_writer.close(pl.DataFrame(schema=ERROR_SCHEMA))
        if progress is not None:
            progress(lab.rows_in, lab.rows_in)
        rows_error = _count(err_tmp)
        rows_ok = _count(out_tmp, "rows")
        samples = _count(out_tmp)
        if rows_ok + rows_error != lab.rows_in:
            raise CobalaminError(
                f"row conservation failed: {lab.rows_in} rows in, {rows_ok} ok, "
                f"{rows_error} with errors; no output written"
            )
        os.replace(err_tmp, errors)
        os.replace(out_tmp, out)
    finally:
        for tmp in (out_tmp, err_tmp):
            with contextlib.suppress(OSError):
                tmp.unlink()
    return RunReport(
        pack.id,
        pack.sha256,
        engine,
        lab.form,
        lab.rows_in,
        rows_ok,
        rows_error,
        samples,
        out,
        errors,
    )
