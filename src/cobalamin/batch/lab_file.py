"""A lab file read lazily, and what both forms (wide and long) share to read it.

Everything is lazy polars: nothing is read until a run sinks the frames. Validation mirrors
``cobalamin.case.normalise_result``: an unknown test, a unit that cannot be converted, a value
that is not a number or outside the catalogue's hard range, and a missing sample id are input
errors; each goes to the error frame with its line number, field and reason.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import polars as pl

from cobalamin.analytes import Analyte
from cobalamin.batch.compile import encode_set
from cobalamin.batch.dialect import detect_dialect, ragged_lines
from cobalamin.batch.person_columns import Check, number, text
from cobalamin.case import CENSORED_PATTERN
from cobalamin.errors import CobalaminError, InputError
from cobalamin.knowledge.facts import FactSpec
from cobalamin.knowledge.logic import FactValue

__all__ = [
    "ERROR_SCHEMA",
    "Check",
    "Grouping",
    "LabFile",
    "absent_facts",
    "censored_number",
    "censored_of",
    "complete_facts",
    "errors_of",
    "first_error",
    "hard_range",
    "impossible",
    "no_sample_id",
    "refused",
    "sample_id",
    "scan",
    "scan_dialect",
]

ERROR_SCHEMA: dict[str, pl.DataType] = {
    "line": pl.Int64(),
    "sample_id": pl.String(),
    "field": pl.String(),
    "reason": pl.String(),
}


@dataclass(frozen=True)
class LabFile:
    """A lab file read lazily: ``facts`` (one row per sample), ``errors``, and what it was.

    ``facts`` and ``errors`` are whole-file plans. In long form, grouping rows into samples
    holds every sample in memory, so a run on a large file uses the parts instead: ``readable``
    (rows that passed the row checks) and ``row_errors``, grouped bucket by bucket with
    ``grouping``.
    """

    facts: pl.LazyFrame
    errors: pl.LazyFrame
    form: Literal["long", "wide"]
    rows_in: int
    constants: dict[str, FactValue]  # facts the file has no column for (the same on every row)
    rowwise: pl.LazyFrame | None = None  # wide: every row, facts, _check, _field, _reason
    readable: pl.LazyFrame | None = None  # long: readable rows, one per result
    row_errors: pl.LazyFrame | None = None  # long: rows that failed a row check
    grouping: Grouping | None = None  # long: how readable rows become samples
    # Rows with a censored value (<50), readable but not in ``facts``/``readable``: they are
    # interpreted one by one (``cobalamin.batch.censored``). Wide: one row per sample with its
    # facts and ``_raw__<test>``/``_unit__<test>`` for each censored test; long: one row per
    # censored result (``_sample, _line, _test, _canonical, _p_*, _raw, _raw_unit``).
    censored: pl.LazyFrame | None = None
    # Files with text values: every row whose first check failed, read again with the censored
    # pattern (``_check`` -1: a censored row, else the check that fails), with the error columns
    # and the ``censored_columns``. A run sinks this one plan in its pass over the file (a
    # third sink from the same scan would cost as much as the scan) and splits it afterwards
    # (``errors_of``, ``censored_of``); ``errors`` and ``censored`` are the same as whole-file plans.
    suspects: pl.LazyFrame | None = None
    censored_columns: tuple[str, ...] = ()
    dialect: str = ""  # how the file was read (parquet, or the CSV separator and encoding)


@dataclass(frozen=True)
class Grouping:
    """How readable rows (``_sample, _line, _test, _canonical, _word, _p_*``), in file order,
    become samples. ``_test`` is the test's position in ``test_ids``."""

    test_ids: tuple[str, ...]  # every test of the catalogue, in order
    quantitative: tuple[str, ...]  # the tests that occur in the file
    qualitative: tuple[str, ...]
    person: tuple[str, ...]  # person facts, taken from each sample's first row
    fact_specs: Mapping[str, FactSpec]

    def mark_repeats(self, readable: pl.LazyFrame) -> pl.LazyFrame:
        """Adds ``_repeat``: a test given twice for one sample; the later rows are errors (as in
        ``parse_case``). The rows must be in file order (they are: filters keep the order)."""
        return readable.with_columns(_repeat=~pl.struct("_sample", "_test").is_first_distinct())

    @staticmethod
    def repeat_errors(marked: pl.LazyFrame) -> pl.LazyFrame:
        return marked.filter(pl.col("_repeat")).select(
            pl.col("_line").cast(pl.Int64).alias("line"),
            pl.col("_sample").alias("sample_id"),
            pl.lit("test").alias("field"),
            pl.lit("given twice for this sample").alias("reason"),
        )

    def facts(self, marked: pl.LazyFrame) -> pl.LazyFrame:
        """One row per sample, in the order of each sample's first row."""
        aggregations = [
            pl.col("_line").min().cast(pl.Int64).alias("_order"),
            pl.len().cast(pl.Int64).alias("rows"),
        ]
        for test in self.quantitative:
            is_test = pl.col("_test") == self.test_ids.index(test)
            aggregations.append(pl.col("_canonical").filter(is_test).first().alias(test))
        for test in self.qualitative:
            is_test = pl.col("_test") == self.test_ids.index(test)
            aggregations.append(pl.col("_word").filter(is_test).first().alias(test))
        for name in self.person:  # the first row's (group_by keeps the file order in a group)
            aggregations.append(pl.col(f"_p_{name}").first().alias(name))
        grouped = (
            marked.filter(~pl.col("_repeat"))
            .group_by("_sample")
            .agg(aggregations)
            .rename({"_sample": "sample_id"})
            .sort("_order")
        )
        return complete_facts(grouped, self.fact_specs)


def scan(path: Path) -> tuple[pl.LazyFrame, int]:
    """The file as a lazy frame with a 1-based ``_line`` column, and its number of rows.

    CSV is read as text (a bad value must be reported, not fail the read); ``_line`` is the line
    in the file (the header is line 1). Its separator (comma, semicolon, tab) and encoding are
    detected (``cobalamin.batch.dialect``); a BOM and CRLF line ends are fine. Parquet keeps its
    types; ``_line`` is the row number. Column names are trimmed.
    """
    return scan_dialect(path)[:2]


def scan_dialect(path: Path) -> tuple[pl.LazyFrame, int, str]:
    """``scan``, and how the file was read (``parquet`` or the CSV dialect)."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise InputError("input", f"{path} does not exist")
    try:
        if suffix == ".parquet":
            frame = pl.scan_parquet(path, row_index_name="_line", row_index_offset=1)
            dialect = "parquet"
        elif suffix in (".csv", ".txt", ".tsv"):
            found = detect_dialect(path)
            frame = pl.scan_csv(
                found.path,
                infer_schema=False,
                separator=found.separator,
                row_index_name="_line",
                row_index_offset=2,
                missing_columns="insert",
            )
            dialect = found.describe()
        else:
            raise InputError("input", f"{path.name}: use a .csv, .tsv, .txt or .parquet file")
        names = frame.collect_schema().names()
        renamed = {n: n.strip() for n in names if n != n.strip()}
        if renamed:
            frame = frame.rename(renamed)
        rows = int(frame.select(pl.len()).collect().item())
    except CobalaminError:
        raise
    except Exception as exc:  # polars' own message is one line and names the problem
        raise InputError("input", f"cannot read {path}: {str(exc).splitlines()[0]}") from None
    return frame, rows, dialect


def errors_of(suspects: pl.LazyFrame) -> pl.LazyFrame:
    """The error rows among the suspects (``LabFile.suspects``)."""
    return suspects.filter(pl.col("_check") >= 0).select(list(ERROR_SCHEMA))


def censored_of(suspects: pl.LazyFrame, columns: Collection[str]) -> pl.LazyFrame:
    """The censored rows among the suspects, with the columns of ``LabFile.censored``."""
    return suspects.filter(pl.col("_check") < 0).select(list(columns))


def refused(path: Path, exc: Exception) -> CobalaminError:
    """What to say when polars refuses a file while reading it (a line with more fields than
    the header, say): an input error naming the lines, else the polars message."""
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if path.suffix.lower() != ".parquet" and "fields" in message:
        where = ragged_lines(path)
        if where:
            return InputError("input", f"{path.name}: {where}")
    return InputError("input", f"cannot read {path.name}: {message}")


def censored_number(name: str, schema: pl.Schema) -> tuple[pl.Expr, pl.Expr]:
    """(comparator text or null, number) of a column that may hold censored text (``<50``,
    ``≥ 1476``; ``cobalamin.case.CENSORED_PATTERN``). Costly per row: the readers apply it only
    to rows whose plain number failed."""
    if schema[name].is_numeric():
        return pl.lit(None, pl.String), number(name, schema)
    raw = text(name)
    comparator = raw.str.extract(CENSORED_PATTERN, 1)
    limit = raw.str.extract(CENSORED_PATTERN, 2).str.replace(",", ".", literal=True)
    value = pl.when(comparator.is_null()).then(number(name, schema))
    return comparator, value.otherwise(limit.cast(pl.Float64, strict=False))


def impossible(
    value: pl.Expr, comparator: pl.Expr, low: float | pl.Expr, high: float | pl.Expr
) -> pl.Expr:
    """Outside the hard range, or a censored interval without a possible value (``<0``)."""
    outside = (value < low) | (value > high)
    empty = ((comparator == "<") & (value <= low)) | ((comparator == ">") & (value >= high))
    return outside | empty.fill_null(False)


def first_error(
    checks: list[Check],
) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(index of the first failing check or -1, its field, its reason).

    Only the index is computed for every row; field and reason read ``_check`` and are meant
    for the error rows alone (reasons may format text, which costs time on every row).
    """
    if not checks:
        return pl.lit(-1, pl.Int32), pl.lit(None, pl.String), pl.lit(None, pl.String)
    index: Any = pl.when(checks[0][1].fill_null(False)).then(pl.lit(0, pl.Int32))
    for position, (_, bad, _) in enumerate(checks[1:], start=1):
        index = index.when(bad.fill_null(False)).then(pl.lit(position, pl.Int32))
    check = pl.col("_check")
    field: Any = pl.when(check == 0).then(pl.lit(checks[0][0]))
    reason: Any = pl.when(check == 0).then(checks[0][2])
    for position, (name, _, why) in enumerate(checks[1:], start=1):
        field = field.when(check == position).then(pl.lit(name))
        reason = reason.when(check == position).then(why)
    return index.otherwise(pl.lit(-1, pl.Int32)), field.otherwise(None), reason.otherwise(None)


def sample_id() -> pl.Expr:
    return pl.col("sample_id").cast(pl.String)


def no_sample_id() -> pl.Expr:
    sample = sample_id()
    return sample.is_null() | (sample.str.len_bytes() == 0)


def absent_facts(names: Collection[str], facts: Mapping[str, FactSpec]) -> dict[str, FactValue]:
    """The base facts not among ``names`` (the columns a file gives), with the value every row
    then has (as ``assess`` gives it: a missing result or category, false, the empty set)."""
    defaults: dict[str, FactValue] = {"boolean": False, "set": frozenset()}
    return {name: defaults.get(spec.kind) for name, spec in facts.items() if name not in names}


def complete_facts(frame: pl.LazyFrame, facts: Mapping[str, FactSpec]) -> pl.LazyFrame:
    """Add every base fact the frame lacks (missing results, default person) and fix types."""
    add: list[pl.Expr] = []
    for name, value in absent_facts(frame.collect_schema().names(), facts).items():
        kind = facts[name].kind
        if kind == "number":
            add.append(pl.lit(None, pl.Float64).alias(name))
        elif kind == "category":
            add.append(pl.lit(None, pl.String).alias(name))
        elif kind == "boolean":
            add.append(pl.lit(value, pl.Boolean).alias(name))
        else:
            add.append(pl.lit(encode_set(())).alias(name))
    return frame.with_columns(add) if add else frame


def hard_range(item: Analyte) -> tuple[float, float, str]:
    assert item.hard_range is not None
    return item.hard_range.low, item.hard_range.high, item.hard_range.unit


def fmt(number: float) -> str:
    return f"{number:g}"
