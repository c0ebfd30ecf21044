"""Wide-form lab files: ``sample_id`` plus one column per test, one row per sample.

A test column is named by its test id (values in the test's canonical unit), by a site's local
code (``cobalamin.knowledge.local_codes``: values in the code's unit), or as ``test[unit]`` /
``CODE[unit]`` (values in that unit, converted by multiplying the column by
``units.conversion_factor``: the same float ``assess`` uses, so results are bit-identical).
Other columns are person columns (``cobalamin.batch.person_columns``) or ignored.

A censored value (``<50``) fails the plain number read of its row, which is cheap; only such
rows are read again with the censored pattern (``lab_file.censored_number``), so files without
them pay nothing. Their samples go to ``LabFile.censored``, interpreted one by one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from cobalamin.batch.lab_file import (
    Check,
    LabFile,
    absent_facts,
    censored_number,
    censored_of,
    complete_facts,
    errors_of,
    first_error,
    fmt,
    hard_range,
    impossible,
    no_sample_id,
    sample_id,
)
from cobalamin.batch.person_columns import PersonColumns, not_number, number, person_columns, text
from cobalamin.errors import InputError
from cobalamin.knowledge.local_codes import LocalCodes
from cobalamin.knowledge.registry import Knowledge
from cobalamin.units import conversion_factor

__all__ = ["read_wide"]

_HEADER = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*\[(.+)\]\s*$")


@dataclass(frozen=True)
class _TestColumn:
    test: str
    factor: float  # to the canonical unit
    unit: str | None  # the unit the column is in (quantitative)


def _test_columns(
    names: list[str], knowledge: Knowledge, codes: LocalCodes
) -> dict[str, _TestColumn]:
    analytes = knowledge.analytes
    tests: dict[str, _TestColumn] = {}
    for column in names:
        if column.startswith("_"):
            continue
        match = _HEADER.match(column)
        name, unit = (match.group(1), match.group(2)) if match else (column, None)
        item = analytes.get(name)
        local = codes.lookup(name)  # the site's own code wins over a test id spelled alike
        if local is not None:
            item, unit = analytes[local.test], unit or local.unit
        if item is None:
            if match:
                raise InputError(column, f"unknown test {name!r}", ", ".join(analytes))
            continue  # person and other columns
        if item.kind == "qualitative":
            tests[column] = _TestColumn(item.id, 1.0, None)
            continue
        factor = 1.0 if unit is None else conversion_factor(item, unit)
        tests[column] = _TestColumn(item.id, factor, unit or item.canonical_unit)
    return tests


def _checks(
    tests: dict[str, _TestColumn],
    schema: pl.Schema,
    knowledge: Knowledge,
    person: PersonColumns,
    censored: bool,
) -> tuple[list[Check], dict[str, pl.Expr], list[int]]:
    """The row checks, the test values, and the positions of the "not a number" checks.

    ``censored``: read values with the censored pattern (the same checks in the same places).
    """
    analytes = knowledge.analytes
    checks: list[Check] = [("sample_id", no_sample_id(), pl.lit("missing id"))]
    values: dict[str, pl.Expr] = {}
    not_numbers: list[int] = []
    for column, spec in tests.items():
        item = analytes[spec.test]
        if item.kind == "qualitative":
            word = text(column).str.to_lowercase()
            values[spec.test] = word
            reason = pl.format(f"{{}} is not a result of {spec.test}", word)
            checks.append((column, ~word.is_null() & ~word.is_in(list(item.values)), reason))
            continue
        low, high, unit = hard_range(item)
        if censored:
            comparator, measured = censored_number(column, schema)
            canonical = measured if spec.factor == 1.0 else measured * spec.factor
            given = text(column).is_not_null()
            bad_number = given & (measured.is_null() | ~measured.is_finite())
            out_of_range = impossible(canonical, comparator, low, high)
        else:  # the common case: no censored pattern and no comparator read per row
            measured = number(column, schema)
            canonical = measured if spec.factor == 1.0 else measured * spec.factor
            bad_number = not_number(column, schema)
            out_of_range = (canonical < low) | (canonical > high)
        values[spec.test] = canonical
        not_numbers.append(len(checks))
        checks.append((column, bad_number, pl.lit("not a number")))
        reason = pl.lit(f"not a possible {spec.test} result ({fmt(low)} to {fmt(high)} {unit})")
        checks.append((column, out_of_range, reason))
    checks += person.checks
    return checks, values, not_numbers


def read_wide(
    frame: pl.LazyFrame, rows: int, knowledge: Knowledge, codes: LocalCodes | None = None
) -> LabFile:
    """A wide-form file: one row per sample, one column per test (see the module docstring)."""
    schema = frame.collect_schema()
    tests = _test_columns(schema.names(), knowledge, codes or LocalCodes.empty())
    if "sample_id" not in schema:
        raise InputError("sample_id", "the file has no sample_id column")
    if not tests:
        raise InputError("input", "no test columns (a test id such as b12, or b12[ng/L])")
    person = person_columns(schema, knowledge.vocabulary)
    frame = frame.with_columns(**person.parsed)
    sample = sample_id()
    all_checks, values, not_numbers = _checks(tests, schema, knowledge, person, censored=False)
    index, field, reason = first_error(all_checks)
    checked = frame.with_columns(_check=index)
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
    censorable = [
        c for c, spec in tests.items()
        if knowledge.analytes[spec.test].kind == "quantitative" and not schema[c].is_numeric()
    ]  # fmt: skip
    error_rows = checked.filter(pl.col("_check") >= 0)
    error_columns = [
        pl.col("_line").cast(pl.Int64).alias("line"),
        sample.alias("sample_id"),
        field.alias("field"),
        reason.alias("reason"),
    ]
    censored = suspects = None
    censored_columns: tuple[str, ...] = ()
    if censorable:  # a row whose first problem is a value that is not a number is read again
        checks2, values2, _ = _checks(tests, schema, knowledge, person, censored=True)
        index2, field, reason = first_error(checks2)
        recheck = pl.when(pl.col("_check").is_in(not_numbers)).then(index2)
        error_rows = error_rows.with_columns(_check=recheck.otherwise(pl.col("_check")))
        raw: dict[str, pl.Expr] = {}
        for column in censorable:
            comparator, _ = censored_number(column, schema)
            spec = tests[column]
            raw[f"_raw__{spec.test}"] = (
                pl.when(comparator.is_not_null()).then(text(column)).otherwise(None)
            )
            raw[f"_unit__{spec.test}"] = pl.lit(spec.unit, pl.String)
        sample_columns = [
            pl.col("_line").cast(pl.Int64).alias("_order"),
            pl.lit(1, pl.Int64).alias("rows"),
            *[expr.alias(name) for name, expr in values2.items()],
            *[expr.alias(name) for name, expr in person.facts.items()],
            *[expr.alias(name) for name, expr in raw.items()],
        ]
        error_columns = [*error_columns[:2], field.alias("field"), reason.alias("reason")]
        suspects = error_rows.select(pl.col("_check"), *error_columns, *sample_columns)
        censored_columns = ("sample_id", *(c.meta.output_name() for c in sample_columns))
        censored = censored_of(suspects, censored_columns)
        errors = errors_of(suspects)
    else:
        errors = error_rows.select(error_columns)
    specs = knowledge.facts
    constants = absent_facts(facts.collect_schema().names(), specs)
    return LabFile(
        complete_facts(facts, specs),
        errors,
        "wide",
        rows,
        constants,
        complete_facts(rowwise, specs),
        censored=censored,
        suspects=suspects,
        censored_columns=censored_columns,
    )
