"""Reading lab files (CSV or Parquet, long or wide form) into a facts frame plus an error frame.

Everything is lazy polars: nothing is read until a run sinks the frames, so a file larger than
memory streams through (wide form). Validation mirrors ``cobalamin.case.normalise_result``:
an unknown test, a unit that cannot be converted, a value that is not a number or outside the
catalogue's hard range, and a missing sample id are input errors; each goes to the error frame
with its line number, field and reason. Values are converted by multiplying the column by
``units.conversion_factor`` (the same float ``assess`` uses), so results are bit-identical.

Long form: ``sample_id, test, value, unit`` plus optional person columns, one row per result.
Wide form: ``sample_id`` plus one column per test id (canonical unit) or ``test[unit]``.
Person columns (both forms): ``age, sex, pregnant, trimester, lactating, wish_to_conceive,
diet, conditions, medications, symptoms``; lists are separated by ``;``, ``,`` or ``|``.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import polars as pl

from cobalamin._errors import CobalaminError, InputError
from cobalamin.analytes import catalogue
from cobalamin.batch.compile import encode_set
from cobalamin.batch.person_columns import (
    PERSON_COLUMNS,
    Check,
    not_number,
    number,
    person_columns,
    text,
)
from cobalamin.knowledge.facts import base_facts
from cobalamin.knowledge.logic import FactValue
from cobalamin.units import conversion_factor

__all__ = [
    "ERROR_SCHEMA",
    "PERSON_COLUMNS",
    "LabFile",
    "absent_facts",
    "complete_facts",
    "read_lab_file",
    "scan",
]

ERROR_SCHEMA = {"line": pl.Int64, "sample_id": pl.String, "field": pl.String, "reason": pl.String}
_HEADER = re.compile(r"^\s*([A-Za-z0-9_]+)\s*\[(.+)\]\s*$")


@dataclass(frozen=True)
class LabFile:
    """A lab file read lazily: ``facts`` (one row per sample), ``errors``, and what it was."""

    facts: pl.LazyFrame
    errors: pl.LazyFrame
    form: Literal["long", "wide"]
    rows_in: int
    rowwise: pl.LazyFrame | None = None  # wide: every row, facts, _check, _field, _reason
    constants: dict[str, FactValue] = dataclasses.field(
        default_factory=dict
    )  # facts the file lacks


def scan(path: Path) -> tuple[pl.LazyFrame, int]:
    """The file as a lazy frame with a 1-based ``_line`` column, and its number of rows.

    CSV is read as text (a bad value must be reported, not fail the read); ``_line`` is the line
    in the file (the header is line 1). Parquet keeps its types; ``_line`` is the row number.
    """
    suffix = path.suffix.lower()
    if not path.exists():
        raise InputError("input", f"{path} does not exist")
    try:
        if suffix == ".parquet":
            frame = pl.scan_parquet(path, row_index_name="_line", row_index_offset=1)
        elif suffix in (".csv", ".txt", ".tsv"):
            frame = pl.scan_csv(
                path,
                infer_schema=False,
                separator="\t" if suffix == ".tsv" else ",",
                row_index_name="_line",
                row_index_offset=2,
                missing_columns="insert",
            )
        else:
            raise InputError("input", f"{path.name}: use a .csv, .tsv or .parquet file")
        rows = int(frame.select(pl.len()).collect().item())
    except CobalaminError:
        raise
    except Exception as exc:  # polars' own message is one line and names the problem
        raise InputError("input", f"cannot read {path}: {str(exc).splitlines()[0]}") from None
    return frame, rows


def _first_error(
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


def _sample_id() -> pl.Expr:
    return pl.col("sample_id").cast(pl.String)


def _no_sample_id() -> pl.Expr:
    sample = _sample_id()
    return sample.is_null() | (sample.str.len_bytes() == 0)


def absent_facts(frame: pl.LazyFrame) -> dict[str, FactValue]:
    """The base facts a frame has no column for, with the value every row then has (as
    ``assess`` gives it: a missing result or category, false, the empty set)."""
    names = set(frame.collect_schema().names())
    defaults: dict[str, FactValue] = {"boolean": False, "set": frozenset()}
    return {
        name: defaults.get(spec.kind) for name, spec in base_facts().items() if name not in names
    }


def complete_facts(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Add every base fact the frame lacks (missing results, default person) and fix types."""
    add: list[pl.Expr] = []
    for name, value in absent_facts(frame).items():
        kind = base_facts()[name].kind
        if kind == "number":
            add.append(pl.lit(None, pl.Float64).alias(name))
        elif kind == "category":
            add.append(pl.lit(None, pl.String).alias(name))
        elif kind == "boolean":
            add.append(pl.lit(value, pl.Boolean).alias(name))
        else:
            add.append(pl.lit(encode_set(())).alias(name))
    return frame.with_columns(add) if add else frame


def _hard_range(test: str) -> tuple[float, float, str]:
    item = catalogue()[test]
    assert item.hard_range is not None
    return item.hard_range.low, item.hard_range.high, item.hard_range.unit


def _fmt(number: float) -> str:
    return f"{number:g}"


def _wide(frame: pl.LazyFrame, rows: int) -> LabFile:
    schema = frame.collect_schema()
    tests: dict[str, tuple[str, float]] = {}  # column -> (test, factor)
    for column in schema.names():
        if column.startswith("_"):
            continue
        match = _HEADER.match(column)
        name, unit = (match.group(1), match.group(2)) if match else (column, None)
        item = catalogue().get(name)
        if item is None:
            if match:
                raise InputError(column, f"unknown test {name!r}", ", ".join(catalogue()))
            continue  # person and other columns
        if item.kind == "qualitative":
            tests[column] = (name, 1.0)
            continue
        factor = 1.0 if unit is None else conversion_factor(name, unit)
        tests[column] = (name, factor)
    if "sample_id" not in schema:
        raise InputError("sample_id", "the file has no sample_id column")
    if not tests:
        raise InputError("input", "no test columns (a test id such as b12, or b12[ng/L])")
    person = person_columns(schema)
    frame = frame.with_columns(**person.parsed)
    sample = _sample_id()
    all_checks = [("sample_id", _no_sample_id(), pl.lit("missing id"))]
    values: dict[str, pl.Expr] = {}
    for column, (test, factor) in tests.items():
        item = catalogue()[test]
        if item.kind == "qualitative":
            word = text(column).str.to_lowercase()
            values[test] = word
            reason = pl.format(f"{{}} is not a result of {test}", word)
            all_checks.append((column, ~word.is_null() & ~word.is_in(list(item.values)), reason))
            continue
        measured = number(column, schema)
        canonical = measured if factor == 1.0 else measured * factor
        values[test] = canonical
        low, high, unit = _hard_range(test)
        all_checks.append((column, not_number(column, schema), pl.lit("not a number")))
        impossible = (canonical < low) | (canonical > high)
        reason = pl.lit(f"not a possible {test} result ({_fmt(low)} to {_fmt(high)} {unit})")
        all_checks.append((column, impossible, reason))
    all_checks += person.checks
    index, field, reason = _first_error(all_checks)
    checked = frame.with_columns(_check=index)
    errors = checked.filter(pl.col("_check") >= 0).select(
        pl.col("_line").cast(pl.Int64).alias("line"),
        sample.alias("sample_id"),
        field.alias("field"),
        reason.alias("reason"),
    )
    columns = [
        sample.alias("sample_id"),
        pl.col("_line").cast(pl.Int64).alias("_order"),
        pl.lit(1, pl.Int64).alias("rows"),
        *[expr.alias(name) for name, expr in values.items()],
        *[expr.alias(name) for name, expr in person.facts.items()],
    ]
    facts = checked.filter(pl.col("_check") < 0).select(columns)
    rowwise = checked.select(
        *columns, pl.col("_check"), field.alias("_field"), reason.alias("_reason")
    )
    constants = absent_facts(facts)
    return LabFile(complete_facts(facts), errors, "wide", rows, complete_facts(rowwise), constants)


def _factor_table(frame: pl.LazyFrame) -> pl.DataFrame:
    """The conversion factor of every distinct (test, unit) in the file (null: not valid)."""
    pairs = (
        frame.select(
            text("test").str.to_lowercase().alias("_test"),
            text("unit").alias("_unit"),
        )
        .unique()
        .collect()
    )
    factors: list[float | None] = []
    for test, unit in pairs.iter_rows():
        item = catalogue().get(test) if test else None
        factor: float | None = None
        if item is not None and item.kind == "quantitative" and unit:
            try:
                factor = conversion_factor(test, unit)
            except CobalaminError:
                factor = None
        factors.append(factor)
    return pairs.with_columns(_factor=pl.Series(factors, dtype=pl.Float64))


def _long(frame: pl.LazyFrame, rows: int) -> LabFile:
    schema = frame.collect_schema()
    for required in ("sample_id", "test", "value"):
        if required not in schema:
            raise InputError(required, f"the long-form file has no {required} column")
    if "unit" not in schema:
        frame = frame.with_columns(unit=pl.lit(None, pl.String))
        schema = frame.collect_schema()
    factors = _factor_table(frame).lazy()
    quantitative = [t for t, a in catalogue().items() if a.kind == "quantitative"]
    qualitative = {t: list(a.values) for t, a in catalogue().items() if a.kind == "qualitative"}
    low = pl.lit(None, pl.Float64)
    high = pl.lit(None, pl.Float64)
    range_text = pl.lit(None, pl.String)
    for test in quantitative:
        lo, hi, unit = _hard_range(test)
        is_test = pl.col("_test") == test
        low = pl.when(is_test).then(pl.lit(lo)).otherwise(low)
        high = pl.when(is_test).then(pl.lit(hi)).otherwise(high)
        range_text = (
            pl.when(is_test).then(pl.lit(f"{_fmt(lo)} to {_fmt(hi)} {unit}")).otherwise(range_text)
        )
    word = text("value").str.to_lowercase()
    word_ok = pl.lit(False)
    for test, allowed in qualitative.items():
        word_ok = word_ok | ((pl.col("_test") == test) & word.is_in(allowed))
    is_qualitative = pl.col("_test").is_in(list(qualitative))
    measured = number("value", schema)
    canonical = measured * pl.col("_factor")
    person = person_columns(schema)
    sample = _sample_id()
    all_checks = [
        ("sample_id", _no_sample_id(), pl.lit("missing id")),
        (
            "test",
            pl.col("_test").is_null() | ~pl.col("_test").is_in(list(catalogue())),
            pl.format("unknown test {}", pl.col("_test").fill_null("(empty)")),
        ),
        (
            "value",
            is_qualitative & ~word_ok,
            pl.format("{} is not a result of {}", word.fill_null("(empty)"), pl.col("_test")),
        ),
        ("value", ~is_qualitative & measured.is_null(), pl.lit("not a number")),
        ("value", ~is_qualitative & ~measured.is_finite(), pl.lit("not a finite number")),
        (
            "unit",
            ~is_qualitative & pl.col("_factor").is_null(),
            pl.format(
                "unknown unit {} for {}", pl.col("_unit").fill_null("(empty)"), pl.col("_test")
            ),
        ),
        (
            "value",
            ~is_qualitative & ((canonical < low) | (canonical > high)),
            pl.format("not a possible {} result ({})", pl.col("_test"), range_text),
        ),
        *person.checks,
    ]
    # a test given twice for one sample: the later rows are errors (as in ``parse_case``)
    repeat = pl.int_range(pl.len()).over(["_sample", "_test"], order_by="_line") > 0
    all_checks.append(("test", repeat, pl.lit("given twice for this sample")))
    index, field, reason = _first_error(all_checks)
    keyed = frame.with_columns(
        _test=text("test").str.to_lowercase(), _unit=text("unit"), _sample=sample, **person.parsed
    ).join(factors, on=["_test", "_unit"], how="left", nulls_equal=True, maintain_order="left")
    checked = keyed.with_columns(_check=index)
    errors = checked.filter(pl.col("_check") >= 0).select(
        pl.col("_line").cast(pl.Int64).alias("line"),
        pl.col("_sample").alias("sample_id"),
        field.alias("field"),
        reason.alias("reason"),
    )
    good = checked.filter(pl.col("_check") < 0).with_columns(
        _canonical=canonical, _word=word, **{f"_p_{k}": v for k, v in person.facts.items()}
    )
    aggregations = [
        pl.col("_line").min().cast(pl.Int64).alias("_order"),
        pl.len().cast(pl.Int64).alias("rows"),
    ]
    for test in quantitative:
        aggregations.append(
            pl.col("_canonical").filter(pl.col("_test") == test).first().alias(test)
        )
    for test in qualitative:
        aggregations.append(pl.col("_word").filter(pl.col("_test") == test).first().alias(test))
    for name in person.facts:
        aggregations.append(pl.col(f"_p_{name}").sort_by("_line").first().alias(name))
    facts = (
        good.group_by("_sample").agg(aggregations).rename({"_sample": "sample_id"}).sort("_order")
    )
    return LabFile(complete_facts(facts), errors, "long", rows, None, absent_facts(facts))


def read_lab_file(path: Path) -> LabFile:
    """A lab file as a lazy facts frame and a lazy error frame (nothing is read yet but counts)."""
    frame, rows = scan(path)
    names = frame.collect_schema().names()
    if "test" in names and "value" in names:
        return _long(frame, rows)
    return _wide(frame, rows)
