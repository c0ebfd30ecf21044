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

Samples with a censored result (``<50``) are interpreted one by one (``Censored``): in long
form the censored rows are split with the same hash as the other rows (a "companion" part per
part), so each part's censored samples are complete, and they leave the part's grouping.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path

import polars as pl

from cobalamin.batch.censored import CensoredSample, long_samples, wide_samples
from cobalamin.batch.compile import CompiledPack, apply_polars
from cobalamin.batch.engines import KEEP, Engine, evaluate_file
from cobalamin.batch.lab_file import Grouping, LabFile, censored_of, errors_of

__all__ = ["MAX_FAN", "PART_ROWS", "Censored", "merge_sorted", "run_in_parts", "split"]

# censored samples -> (output rows with ``_order``, error rows); ``batch.censored.censored_rows``
Censored = Callable[[Iterable[CensoredSample]], tuple[pl.DataFrame, pl.DataFrame]]
Part = tuple[Path, Path | None]  # a part and its companion (censored rows of its samples)
_SLICE = 100_000

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
    companion: Callable[[], pl.LazyFrame | None] | None = None,
) -> list[Part]:
    """Write ``frame`` as parquet parts of at most ``part_rows`` rows (unless one key alone has
    more), rows with the same ``key`` in the same part. ``extra`` sinks run in the same pass.
    ``companion()``, read after the pass (it may come from an ``extra`` sink), gives rows that
    are split by the same hash: each part comes with its companion part (None when empty)."""
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
    companions: list[Path | None] = [None] * fan
    rare = None if companion is None else companion()
    if rare is not None and rare.select(pl.len()).collect().item():  # rare rows, streamed
        marked = rare.with_columns(_part=pl.col(key).hash(seed=seed) % fan)
        for index in range(fan):
            path = folder / f"companion-{seed}-{index:05d}.parquet"
            marked.filter(pl.col("_part") == index).drop("_part").sink_parquet(path)
            companions[index] = path if _rows(path) else None
    parts: list[Part] = []
    for index, path in enumerate(paths):
        size = _rows(path)
        if size > part_rows and fan > 1 and size < rows:  # still too large, and splittable
            sub = folder / f"{path.stem}.split"
            sub.mkdir()
            with_it = companions[index]
            parts += split(
                pl.scan_parquet(path), size, key, sub, part_rows, seed=seed + 1,
                companion=None if with_it is None else partial(pl.scan_parquet, with_it),
            )  # fmt: skip
            path.unlink()
        else:
            parts.append((path, companions[index]))
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
    *,
    as_text: bool = False,
) -> None:
    """Write the rows of files each sorted by ``key`` as one sequence sorted by ``key``.

    A k-way merge a slice at a time: every row no larger than the smallest last key among the
    parts that have more to come can be written now (later rows of a sorted part are never
    smaller). Memory is about ``budget_rows`` rows, whatever the files' size. ``as_text``:
    Enum columns are read as plain text (files written by different paths differ there).
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
        if as_text:  # files of different origins: Enum columns as plain text, alike
            ready = [f.with_columns(pl.col(pl.Enum, pl.Categorical).cast(pl.String)) for f in ready]
        write(pl.concat(ready, how="vertical_relaxed").sort(key))


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


def _interpret_censored(
    samples: Iterable[CensoredSample], censored: Censored, work: Path, name: str
) -> tuple[list[Path], list[Path], int]:
    """Output and error files (each sorted) of censored samples, and how many samples."""
    out, errors = censored(samples)
    outputs, error_paths = [], []
    if not out.is_empty():
        outputs.append(work / f"censored-out-{name}.parquet")
        out.sort("_order").write_parquet(outputs[-1])
    if not errors.is_empty():
        error_paths.append(work / f"censored-errors-{name}.parquet")
        errors.sort("line").write_parquet(error_paths[-1])
    return outputs, error_paths, out.height + errors.height


def run_in_parts(
    lab: LabFile,
    compiled: CompiledPack,
    engine: Engine,
    work: Path,
    write_output: Callable[[pl.DataFrame], None],
    write_errors: Callable[[pl.DataFrame], None],
    part_rows: int = PART_ROWS,
    progress: Callable[[int], None] | None = None,
    censored: Censored | None = None,
    test_ids: Sequence[str] = (),
) -> int:
    """The three steps of the module docstring; output and error rows go, in order, to the
    two writers. ``progress`` is told the number of input rows done. Censored samples go to
    ``censored`` (``test_ids``: the catalogue's tests); returns how many there were. When there
    are any, the merged output's text columns are plain strings."""
    grouping: Grouping | None = lab.grouping
    if grouping is not None:
        assert lab.readable is not None and lab.row_errors is not None
        rows, row_errors, key = lab.readable, lab.row_errors, "_sample"
    else:
        rows, row_errors, key = lab.facts, lab.errors, "_order"
    rows_folder = work / "rows"
    rows_folder.mkdir()
    error_paths = [work / "errors-rows.parquet"]
    held = work / "suspects.parquet"  # error and censored rows: one sink, split afterwards
    if lab.suspects is not None:
        extra = [lab.suspects.sink_parquet(held, lazy=True)]
    else:
        extra = [row_errors.sink_parquet(error_paths[0], lazy=True)]

    def censored_rows() -> pl.LazyFrame | None:
        if lab.suspects is None or censored is None:
            return None
        return censored_of(pl.scan_parquet(held), lab.censored_columns)

    companion = censored_rows if grouping is not None else None
    parts = split(rows, lab.rows_in, key, rows_folder, part_rows, extra, companion=companion)
    if lab.suspects is not None:
        errors_of(pl.scan_parquet(held)).sink_parquet(error_paths[0])
    done = _rows(error_paths[0])
    outputs: list[Path] = []
    count = 0
    whole_samples = censored_rows() if grouping is None else None
    if whole_samples is not None and censored is not None:  # wide: each row is a whole sample
        total = int(whole_samples.select(pl.len()).collect().item())
        for offset in range(0, total, _SLICE):
            chunk = whole_samples.slice(offset, _SLICE).collect()
            found = _interpret_censored(wide_samples(chunk, test_ids), censored, work, f"w{offset}")
            outputs += found[0]
            error_paths += found[1]
            count += found[2]
            done += chunk.height
    for index, (part, with_censored) in enumerate(parts):
        frame = pl.scan_parquet(part)
        repeats: list[pl.LazyFrame] = []
        if grouping is not None and with_censored is not None and censored is not None:
            rows_of = pl.read_parquet(with_censored)  # the part's censored rows: its samples
            ids = rows_of.get_column("_sample").unique()
            whole = frame.filter(pl.col("_sample").is_in(ids.implode())).collect()
            samples, repeated = long_samples(
                pl.concat([whole, rows_of], how="diagonal_relaxed"), grouping.test_ids
            )
            found = _interpret_censored(samples, censored, work, f"l{index:05d}")
            outputs += found[0]
            error_paths += found[1]
            count += len(samples)
            if not repeated.is_empty():
                error_paths.append(work / f"censored-repeats-{index:05d}.parquet")
                repeated.write_parquet(error_paths[-1])
            frame = frame.filter(~pl.col("_sample").is_in(ids.implode()))
            done += rows_of.height
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
    merge_sorted(outputs, "_order", write_output, as_text=count > 0)
    merge_sorted(error_paths, "line", write_errors)
    return count
