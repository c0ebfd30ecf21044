"""Wide-form lab files: ``sample_id`` plus one column per test, one row per sample.

A test column is named by its test id (values in the test's canonical unit) or as
``test[unit]`` (values in that unit, converted by multiplying the column by
``units.conversion_factor``: the same float ``assess`` uses, so results are bit-identical).
Other columns are person columns (``cobalamin.batch.person_columns``) or ignored.
"""

from __future__ import annotations

import re

import polars as pl

from cobalamin.batch.lab_file import (
    LabFile,
    absent_facts,
    complete_facts,
    first_error,
    fmt,
    hard_range,
    no_sample_id,
    sample_id,
)
from cobalamin.batch.person_columns import not_number, number, person_columns, text
from cobalamin.errors import InputError
from cobalamin.knowledge.registry import Knowledge
from cobalamin.units import conversion_factor

__all__ = ["read_wide"]

_HEADER = re.compile(r"^\s*([A-Za-z0-9_]+)\s*\[(.+)\]\s*$")


def read_wide(frame: pl.LazyFrame, rows: int, knowledge: Knowledge) -> LabFile:
    """A wide-form file: one row per sample, one column per test (see the module docstring)."""
    analytes = knowledge.analytes
    schema = frame.collect_schema()
    tests: dict[str, tuple[str, float]] = {}  # column -> (test, factor)
    for column in schema.names():
        if column.startswith("_"):
            continue
        match = _HEADER.match(column)
        name, unit = (match.group(1), match.group(2)) if match else (column, None)
        item = analytes.get(name)
        if item is None:
            if match:
                raise InputError(column, f"unknown test {name!r}", ", ".join(analytes))
            continue  # person and other columns
        if item.kind == "qualitative":
            tests[column] = (name, 1.0)
            continue
        factor = 1.0 if unit is None else conversion_factor(item, unit)
        tests[column] = (name, factor)
    if "sample_id" not in schema:
        raise InputError("sample_id", "the file has no sample_id column")
    if not tests:
        raise InputError("input", "no test columns (a test id such as b12, or b12[ng/L])")
    person = person_columns(schema, knowledge.vocabulary)
    frame = frame.with_columns(**person.parsed)
    sample = sample_id()
    all_checks = [("sample_id", no_sample_id(), pl.lit("missing id"))]
    values: dict[str, pl.Expr] = {}
    for column, (test, factor) in tests.items():
        item = analytes[test]
        if item.kind == "qualitative":
            word = text(column).str.to_lowercase()
            values[test] = word
            reason = pl.format(f"{{}} is not a result of {test}", word)
            all_checks.append((column, ~word.is_null() & ~word.is_in(list(item.values)), reason))
            continue
        measured = number(column, schema)
        canonical = measured if factor == 1.0 else measured * factor
        values[test] = canonical
        low, high, unit = hard_range(item)
        all_checks.append((column, not_number(column, schema), pl.lit("not a number")))
        impossible = (canonical < low) | (canonical > high)
        reason = pl.lit(f"not a possible {test} result ({fmt(low)} to {fmt(high)} {unit})")
        all_checks.append((column, impossible, reason))
    all_checks += person.checks
    index, field, reason = first_error(all_checks)
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
    specs = knowledge.facts
    constants = absent_facts(facts.collect_schema().names(), specs)
    return LabFile(
        complete_facts(facts, specs),
        errors,
        "wide",
        rows,
        constants,
        complete_facts(rowwise, specs),
    )
