"""Runs in parts, through files in a work folder: memory bounded by the part, not the file.

Used for long-form files (grouping rows into samples holds the samples in memory) and for the
DuckDB, Dask and Spark engines (which read facts from Parquet). Three steps:

1. One streaming pass writes the rows that failed a row check, and splits the readable rows
   into parts of at most ``part_rows`` rows by a hash of a key (the sample id in long form, so a
   sample never straddles two parts). At most ``MAX_FAN`` parts are written per pass; a part
   that is still too large is split again with another hash seed.
2. Each part is grouped into samples (long form), interpreted (polars, or the engine on the
   part's facts), and written sorted by each sample's first line (``_order``).
3. The parts are merged in that order, and the error files by line: streaming merges of
   sorted files, so the output is the same whatever the number of parts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

import polars as pl

from cobalamin.batch.compile import CompiledPack, apply_polars
from cobalamin.batch.engines import KEEP, Engine, evaluate_file
from cobalamin.batch.lab_file import Grouping, LabFile

__all__ = ["MAX_FAN", "PART_ROWS", "merge_sorted", "run_in_parts", "split"]

PART_ROWS = 2_000_000  # the whole run then peaks at about 1 GB (benchmarks/bench_memory.py)
MAX_FAN = 32  # parts per pass: every part costs a filter on every row and a write buffer
_ROW_GROUP = 65_536  # small row groups: each open part buffers one


def _rows(path: Path) -> int:
    return int(pl.scan_parquet(path).select(pl.len()).collect().item())


def split(
    frame: pl.LazyFrame,
    rows: int,
    key: str,
    folder: Path,
    part_rows: int,
    extra: Sequence[pl.LazyFrame] = (),
    seed: int = 0,
) -> list[Path]:
    """Write ``frame`` as parquet parts of at most ``part_rows`` rows (unless one key alone has
    more), rows with the same ``key`` in the same part. ``extra`` sinks run in the same pass."""
    fan = min(MAX_FAN, max(1, math.ceil(rows / part_rows)))
    paths = [folder / f"part-{seed}-{index:05d}.parquet" for index in range(fan)]
    if fan > 1:  # the hash once per row, then one filter per part (the passes share the scan)
        frame = frame.with_columns(_part=pl.col(key).hash(seed=seed) % fan)
    sinks = [
        (frame.filter(pl.col("_part") == index).drop("_part") if fan > 1 else frame).sink_parquet(
            path, lazy=True, row_group_size=_ROW_GROUP
        )
        for index, path in enumerate(paths)
    ]
    pl.collect_all([*sinks, *extra], engine="streaming")
    parts: list[Path] = []
    for path in paths:
        size = _rows(path)
        if size > part_rows and fan > 1 and size < rows:  # still too large, and splittable
            sub = folder / f"{path.stem}.split"
            sub.mkdir()
            parts += split(pl.scan_parquet(path), size, key, sub, part_rows, seed=seed + 1)
            path.unlink()
        else:
            parts.append(path)
    return parts


class _SortedPart:
    """A parquet file (sorted), read in slices of ``rows``."""

    def __init__(self, path: Path, rows: int) -> None:
        self.frame = pl.scan_parquet(path)
        self.total = _rows(path)
        self.rows, self.offset = rows, 0
        self.buffer: pl.DataFrame | None = None

    @property
    def exhausted(self) -> bool:
        return self.offset >= self.total

    def fill(self) -> None:
        """Read the next slice once the buffer is used up."""
        if (self.buffer is None or self.buffer.is_empty()) and not self.exhausted:
            self.buffer = self.frame.slice(self.offset, self.rows).collect()
            self.offset += self.rows


def merge_sorted(
    paths: Sequence[Path],
    key: str,
    write: Callable[[pl.DataFrame], None],
    budget_rows: int = 1_000_000,
) -> None:
    """Write the rows of files each sorted by ``key`` as one sequence sorted by ``key``.

    A k-way merge a slice at a time: every row no larger than the smallest last key among the
    parts that have more to come can be written now (later rows of a sorted part are never
    smaller). Memory is about ``budget_rows`` rows, whatever the files' size.
    """
    parts = [_SortedPart(path, max(1_000, budget_rows // len(paths))) for path in paths]
    while True:
        for part in parts:
            part.fill()
        buffered = [p for p in parts if p.buffer is not None and not p.buffer.is_empty()]
        if not buffered:
            return
        pending = [p.buffer[key][-1] for p in buffered if not p.exhausted and p.buffer is not None]
        bound = min(pending) if pending else None
        ready = []
        for part in buffered:
            assert part.buffer is not None
            if bound is None:
                ready.append(part.buffer)
                part.buffer = None
                continue
            now = part.buffer[key] <= bound
            ready.append(part.buffer.filter(now))
            part.buffer = part.buffer.filter(~now)
        write(pl.concat(ready).sort(key))


def _interpret(
    facts: pl.LazyFrame,
    compiled: CompiledPack,
    engine: Engine,
    out: Path,
    extra: Sequence[pl.LazyFrame] = (),
) -> None:
    """One part's output, sorted by ``_order``; ``extra`` sinks run in the same pass."""
    if engine == "polars":
        sink = apply_polars(compiled, facts, KEEP).sink_parquet(out, lazy=True)
        pl.collect_all([sink, *extra], engine="streaming")
        return
    facts_path = out.with_name(f"facts-{out.name}")
    pl.collect_all([facts.sink_parquet(facts_path, lazy=True), *extra], engine="streaming")
    evaluate_file(compiled, engine, facts_path).write_parquet(out)
    facts_path.unlink()


def run_in_parts(
    lab: LabFile,
    compiled: CompiledPack,
    engine: Engine,
    work: Path,
    write_output: Callable[[pl.DataFrame], None],
    write_errors: Callable[[pl.DataFrame], None],
    part_rows: int = PART_ROWS,
    progress: Callable[[int], None] | None = None,
) -> None:
    """The three steps of the module docstring; output and error rows go, in order, to the
    two writers. ``progress`` is told the number of input rows done."""
    grouping: Grouping | None = lab.grouping
    if grouping is not None:
        assert lab.readable is not None and lab.row_errors is not None
        rows, row_errors, key = lab.readable, lab.row_errors, "_sample"
    else:
        rows, row_errors, key = lab.facts, lab.errors, "_order"
    rows_folder = work / "rows"
    rows_folder.mkdir()
    error_paths = [work / "errors-rows.parquet"]
    extra = [row_errors.sink_parquet(error_paths[0], lazy=True)]
    parts = split(rows, lab.rows_in, key, rows_folder, part_rows, extra)
    done = _rows(error_paths[0])
    outputs = []
    for index, part in enumerate(parts):
        frame = pl.scan_parquet(part)
        repeats: list[pl.LazyFrame] = []
        if grouping is not None:
            marked = grouping.mark_repeats(frame)
            error_paths.append(work / f"errors-{index:05d}.parquet")
            repeats.append(Grouping.repeat_errors(marked).sink_parquet(error_paths[-1], lazy=True))
            frame = grouping.facts(marked)
        outputs.append(work / f"out-{index:05d}.parquet")
        _interpret(frame, compiled, engine, outputs[-1], repeats)
        done += _rows(part)
        part.unlink()
        if progress is not None:
            progress(done)
    merge_sorted(outputs, "_order", write_output)
    merge_sorted(error_paths, "line", write_errors)
