"""Long-form lab files: ``sample_id, test, value, unit`` (+ person columns), one row per result.

Reading happens in two steps so that a file of any size can be read in bounded memory:

1. row checks, one row at a time (streams): unknown test, unit, value, person columns;
2. grouping (``Grouping``): a test given twice for one sample is an error on its later rows,
   the rest becomes one facts row per sample. This step holds its samples in memory, so a
   large file is first split into buckets of whole samples (``cobalamin.batch.staged``).

Everything that depends only on the test and unit (conversion factor, hard range, kind) is
looked up once per distinct ``(test, unit)`` pair in a small table and joined, not worked out
per row.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from cobalamin._errors import CobalaminError, InputError
from cobalamin.analytes import catalogue
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
from cobalamin.batch.person_columns import number, person_columns, text
from cobalamin.units import conversion_factor

__all__ = ["Grouping", "factor_table", "read_long"]


def factor_table(frame: pl.LazyFrame) -> pl.DataFrame:
    """Every distinct (test, unit) of the file with what it means: ``_factor`` to the canonical
    unit (null: not a valid pair), ``_low``/``_high``/``_range`` (the hard range), ``_kind``."""
    pairs = (
        frame.select(
            text("test").str.to_lowercase().alias("_test"),
            text("unit").alias("_unit"),
        )
        .unique()
        .collect()
    )
    columns: dict[str, list[object]] = {k: [] for k in ("_factor", "_low", "_high", "_range")}
    kinds: list[str | None] = []
    for test, unit in pairs.iter_rows():
        item = catalogue().get(test) if test else None
        kinds.append(None if item is None else item.kind)
        factor = low = high = span = None
        if item is not None and item.kind == "quantitative":
            low, high, canonical_unit = hard_range(test)
            span = f"{fmt(low)} to {fmt(high)} {canonical_unit}"
            if unit:
                try:
                    factor = conversion_factor(test, unit)
                except CobalaminError:
                    factor = None
        for name, value in zip(columns, (factor, low, high, span), strict=True):
            columns[name].append(value)
    return pairs.with_columns(
        _kind=pl.Series(kinds, dtype=pl.String),
        _factor=pl.Series(columns["_factor"], dtype=pl.Float64),
        _low=pl.Series(columns["_low"], dtype=pl.Float64),
        _high=pl.Series(columns["_high"], dtype=pl.Float64),
        _range=pl.Series(columns["_range"], dtype=pl.String),
    )


@dataclass(frozen=True)
class Grouping:
    """How readable rows (``_sample, _line, _test, _canonical, _word, _p_*``) become samples."""

    quantitative: tuple[str, ...]  # the tests that occur in the file
    qualitative: tuple[str, ...]
    person: tuple[str, ...]  # person facts, taken from each sample's first row

    def mark_repeats(self, readable: pl.LazyFrame) -> pl.LazyFrame:
        """Adds ``_repeat``: a test given twice for one sample; the later rows are errors (as in
        ``parse_case``)."""
        order = pl.int_range(pl.len()).over(["_sample", "_test"], order_by="_line")
        return readable.with_columns(_repeat=order > 0)

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
            is_test = pl.col("_test") == test
            aggregations.append(pl.col("_canonical").filter(is_test).first().alias(test))
        for test in self.qualitative:
            aggregations.append(pl.col("_word").filter(pl.col("_test") == test).first().alias(test))
        for name in self.person:
            aggregations.append(pl.col(f"_p_{name}").sort_by("_line").first().alias(name))
        grouped = (
            marked.filter(~pl.col("_repeat"))
            .group_by("_sample")
            .agg(aggregations)
            .rename({"_sample": "sample_id"})
            .sort("_order")
        )
        return complete_facts(grouped)


def read_long(frame: pl.LazyFrame, rows: int) -> LabFile:
    """A long-form file (see the module docstring)."""
    schema = frame.collect_schema()
    for required in ("sample_id", "test", "value"):
        if required not in schema:
            raise InputError(required, f"the long-form file has no {required} column")
    if "unit" not in schema:
        frame = frame.with_columns(unit=pl.lit(None, pl.String))
        schema = frame.collect_schema()
    factors = factor_table(frame)
    present = set(factors["_test"].drop_nulls())
    quantitative = tuple(
        t for t, a in catalogue().items() if a.kind == "quantitative" and t in present
    )
    qualitative = {
        t: list(a.values)
        for t, a in catalogue().items()
        if a.kind == "qualitative" and t in present
    }
    word = text("value").str.to_lowercase()
    word_ok = pl.lit(False)
    for test, allowed in qualitative.items():
        word_ok = word_ok | ((pl.col("_test") == test) & word.is_in(allowed))
    is_qualitative = pl.col("_kind") == "qualitative"
    is_quantitative = pl.col("_kind") == "quantitative"
    measured = number("value", schema)
    canonical = measured * pl.col("_factor")
    person = person_columns(schema)
    checks = [
        ("sample_id", no_sample_id(), pl.lit("missing id")),
        (
            "test",
            pl.col("_kind").is_null(),
            pl.format("unknown test {}", pl.col("_test").fill_null("(empty)")),
        ),
        (
            "value",
            is_qualitative & ~word_ok,
            pl.format("{} is not a result of {}", word.fill_null("(empty)"), pl.col("_test")),
        ),
        ("value", is_quantitative & measured.is_null(), pl.lit("not a number")),
        ("value", is_quantitative & ~measured.is_finite(), pl.lit("not a finite number")),
        (
            "unit",
            is_quantitative & pl.col("_factor").is_null(),
            pl.format(
                "unknown unit {} for {}", pl.col("_unit").fill_null("(empty)"), pl.col("_test")
            ),
        ),
        (
            "value",
            is_quantitative & ((canonical < pl.col("_low")) | (canonical > pl.col("_high"))),
            pl.format("not a possible {} result ({})", pl.col("_test"), pl.col("_range")),
        ),
        *person.checks,
    ]
    index, field, reason = first_error(checks)
    checked = (
        frame.with_columns(
            _test=text("test").str.to_lowercase(),
            _unit=text("unit"),
            _sample=sample_id(),
            **person.parsed,
        )
        .join(
            factors.lazy(),
            on=["_test", "_unit"],
            how="left",
            nulls_equal=True,
            maintain_order="left",
        )
        .with_columns(_check=index)
    )
    row_errors = checked.filter(pl.col("_check") >= 0).select(
        pl.col("_line").cast(pl.Int64).alias("line"),
        pl.col("_sample").alias("sample_id"),
        field.alias("field"),
        reason.alias("reason"),
    )
    readable = checked.filter(pl.col("_check") < 0).select(
        "_sample",
        "_line",
        "_test",
        pl.when(is_quantitative).then(canonical).alias("_canonical"),
        pl.when(is_qualitative).then(word).alias("_word"),
        *[expr.alias(f"_p_{name}") for name, expr in person.facts.items()],
    )
    grouping = Grouping(quantitative, tuple(qualitative), tuple(person.facts))
    marked = grouping.mark_repeats(readable)
    facts = grouping.facts(marked)
    errors = pl.concat([row_errors, grouping.repeat_errors(marked)]).sort("line")
    return LabFile(
        facts,
        errors,
        "long",
        rows,
        absent_facts({*quantitative, *qualitative, *person.facts}),
        readable=readable,
        row_errors=row_errors,
        grouping=grouping,
    )
