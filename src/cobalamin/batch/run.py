"""One batch run: read, validate, interpret, write atomically, count.

Every input row ends up in exactly one place: in the output (as part of its sample's row; the
``rows`` column says how many input rows a sample used) or in the error file (line, field,
reason). The run checks ``rows_in == rows_ok + rows_error`` before it reports success.
Both files are written to a temporary name beside the target and renamed only when complete,
so a run that is killed leaves no half-written output, and running it again gives the same.
Each is written in the format its name says (``cobalamin.batch.files``: CSV, Parquet, JSON
Lines, Excel). Samples with a censored result are interpreted one by one
(``cobalamin.batch.censored``); in the one-pass wide path they follow the other samples.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from cobalamin.batch.censored import CensoredSample, censored_rows, wide_samples
from cobalamin.batch.compile import CompiledPack, apply_polars, compile_pack
from cobalamin.batch.engines import ENGINES, KEEP, Engine, normalise_output
from cobalamin.batch.files import (
    Writer,
    append,
    is_parquet,
    output_format,
    scan_output,
    sink,
    to_xlsx,
    write,
)
from cobalamin.batch.io import ERROR_SCHEMA, read_lab_file
from cobalamin.batch.lab_file import LabFile, censored_of, errors_of, refused
from cobalamin.batch.staged import PART_ROWS, Censored, run_in_parts
from cobalamin.errors import CobalaminError, InputError
from cobalamin.knowledge.local_codes import LocalCodes
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
    censored: int = 0  # samples with a censored result (interpreted one by one)
    dialect: str = ""

    def summary(self) -> str:
        read = f"; read as {self.dialect}" if self.dialect else ""
        return (
            f"rows in: {self.rows_in}, rows ok: {self.rows_ok}, rows with errors: "
            f"{self.rows_error}; samples interpreted: {self.samples}, of which censored: "
            f"{self.censored} ({self.form} form{read}, pack {self.pack}, engine {self.engine}) "
            f"-> {self.out}; errors -> {self.errors}\n"
            f"{provenance(self.pack, self.pack_sha256)}"
        )


def default_errors_path(out: Path) -> Path:
    return out.with_name(f"{out.stem}.errors.csv")


def _partial(path: Path) -> Path:
    """The temporary name a run writes to (same folder; same suffix, so the same format, but
    Parquet for an Excel file, which is made from it at the end)."""
    suffix = ".parquet" if path.suffix.lower() == ".xlsx" else path.suffix
    return path.with_name(f".{path.stem}.partial-{os.getpid()}{suffix}")


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
                 "pack_sha256", "engine_version", "censored"):  # fmt: skip
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
    lab: LabFile,
    compiled: CompiledPack,
    out: Path,
    errors: Path,
    work: Path,
    progress: Progress | None,
    censored: Censored,
    test_ids: tuple[str, ...],
) -> int:
    """Wide form on polars: one streaming pass (shared scan), the sinks written in parallel.
    Censored samples (sunk in the same pass) are interpreted after it and appended; returns
    how many."""
    assert lab.rowwise is not None
    rowwise, rows_in = lab.rowwise, lab.rows_in
    if progress is not None:  # counted on a column every output row has (rows with errors
        # may be filtered out before it: the count then ends short, and the run's end says done)
        rowwise = _counted(rowwise, "sample_id", lambda done: progress(min(done, rows_in), rows_in))
    fine = rowwise.filter(pl.col("_check") < 0).drop("_check", "_field", "_reason")
    good_rows = normalise_output(apply_polars(compiled, fine, KEEP), text=not is_parquet(out))
    if lab.suspects is None:  # no text values: no censored ones
        pl.collect_all([sink(good_rows, out), sink(lab.errors, errors)], engine="streaming")
        return 0
    held = work / "suspects.parquet"  # error and censored rows: one sink, split afterwards
    pl.collect_all([sink(good_rows, out), lab.suspects.sink_parquet(held, lazy=True)],
                   engine="streaming")  # fmt: skip
    suspects = pl.scan_parquet(held)
    sink(errors_of(suspects), errors).collect(engine="streaming")
    count, late_errors = 0, []
    source = censored_of(suspects, lab.censored_columns)
    total = int(source.select(pl.len()).collect().item())
    for offset in range(0, total, 100_000):
        chunk = source.slice(offset, 100_000).collect()
        rows, bad = censored(wide_samples(chunk, test_ids))
        append(normalise_output(rows, text=True), out)
        late_errors.append(bad)
        count += chunk.height
    found = pl.concat(late_errors) if late_errors else pl.DataFrame(schema=ERROR_SCHEMA)
    if not found.is_empty():  # rare: keep the error file in line order
        merged = pl.concat([scan_output(errors).collect().cast(pl.Schema(ERROR_SCHEMA)), found])
        write(merged.sort("line"), errors)
    return count


@contextlib.contextmanager
def _read_errors(source: Path) -> Iterator[None]:
    """A file polars refuses halfway (a line with more fields than the header) is an input
    error naming the lines, not an internal error."""
    try:
        yield
    except pl.exceptions.ComputeError as exc:
        raise refused(source, exc) from None


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
    frame = scan_output(path)
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
    codes: LocalCodes | None = None,
) -> RunReport:
    """Interpret every sample of a lab file with one pack; see the module docstring.

    Wide form on polars streams in one pass; long form and the other engines run in parts of
    at most ``part_rows`` rows (``cobalamin.batch.staged``). ``progress`` is told the rows done.
    ``codes``: the site's local test codes.
    """
    if engine not in ENGINES:
        raise InputError("engine", f"unknown engine {engine!r}", ", ".join(ENGINES))
    pack = pack if isinstance(pack, Pack) else knowledge.pack(pack)
    errors = errors or default_errors_path(out)
    output_format(out, "--out")
    output_format(errors, "--errors")
    if out.resolve() == errors.resolve() or out.resolve() == input_path.resolve():
        raise InputError("--out", "the output must differ from the input and the error file")
    if not out.parent.is_dir() or not errors.parent.is_dir():
        raise InputError("--out", f"the folder of {out} or {errors} does not exist")
    for target in (out, errors):
        _clean_stale(target)
    lab = read_lab_file(input_path, knowledge, codes)
    compiled = compile_pack(pack, knowledge, lab.constants)
    test_ids = tuple(knowledge.analytes)

    def censored(samples: Iterable[CensoredSample]) -> tuple[pl.DataFrame, pl.DataFrame]:
        return censored_rows(samples, pack, knowledge)

    out_tmp, err_tmp = _partial(out), _partial(errors)
    finished = [out_tmp, err_tmp]
    try:
        with _workdir(out) as work, _read_errors(input_path):
            if engine == "polars" and lab.rowwise is not None:
                count = _run_wide(
                    lab, compiled, out_tmp, err_tmp, work, progress, censored, test_ids
                )
            else:
                text = not is_parquet(out_tmp)
                out_writer, err_writer = Writer(out_tmp), Writer(err_tmp)
                count = run_in_parts(
                    lab,
                    compiled,
                    engine,
                    work,
                    lambda frame: out_writer.write(normalise_output(frame, text=text)),
                    err_writer.write,
                    part_rows,
                    None if progress is None else lambda done: progress(done, lab.rows_in),
                    censored,
                    test_ids,
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
        for final, tmp, option in ((errors, err_tmp, "--errors"), (out, out_tmp, "--out")):
            if final.suffix.lower() == ".xlsx":  # made from the finished Parquet file
                workbook = tmp.with_suffix(".xlsx")
                finished.append(workbook)
                to_xlsx(tmp, workbook, option)
                tmp = workbook
            os.replace(tmp, final)
    finally:
        for tmp in finished:
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
        count,
        lab.dialect,
    )
