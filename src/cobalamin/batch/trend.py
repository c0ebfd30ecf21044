"""The cumulative view: per patient and test, how each result moved since the previous one.

Input is long form with ``patient_id``, ``date`` (sample date, YYYY-MM-DD), ``test``, ``value``,
``unit`` and optionally ``last_b12_injection``. Values are converted to canonical units first,
so a B12 in ng/L and one in pmol/L compare. Rows that cannot be read are left out (the
``batch`` command reports them); the result says per row: previous value, change, direction,
days since the previous result and, if known, days since the last B12 injection.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from cobalamin.batch.lab_file import scan
from cobalamin.batch.long_form import FactorLookup, factor_table
from cobalamin.batch.person_columns import text
from cobalamin.errors import InputError
from cobalamin.knowledge.registry import Knowledge

__all__ = ["trend_frame", "write_trend"]


def trend_frame(frame: pl.LazyFrame, knowledge: Knowledge) -> pl.LazyFrame:
    """The trend rows for a lazily read long-form frame (columns as text or typed)."""
    names = frame.collect_schema().names()
    for required in ("patient_id", "date", "test", "value", "unit"):
        if required not in names:
            raise InputError(required, f"the trend input has no {required} column")
    if "last_b12_injection" not in names:
        frame = frame.with_columns(last_b12_injection=pl.lit(None, pl.String))
    lookup = FactorLookup(factor_table(frame, knowledge.analytes))
    keyed = frame.with_columns(
        lookup.cell(),
        _value=pl.col("value").cast(pl.String).str.replace(",", ".").cast(pl.Float64, strict=False),
        _date=text("date").str.to_date(strict=False),
        _injected=text("last_b12_injection").str.to_date(strict=False),
    )
    keyed = keyed.with_columns(_factor=lookup.column("_factor"), _test=lookup.column("_test"))
    rows = keyed.filter(
        pl.col("_factor").is_not_null()
        & pl.col("_value").is_not_null()
        & pl.col("_date").is_not_null()
        & text("patient_id").is_not_null()
    ).select(
        text("patient_id").alias("patient_id"),
        pl.col("_test").alias("test"),
        pl.col("_date").alias("date"),
        (pl.col("_value") * pl.col("_factor")).alias("value"),
        pl.col("_injected"),
    )
    group = ["patient_id", "test"]
    ordered = rows.sort([*group, "date"])
    previous = pl.col("value").shift(1).over(group)
    previous_date = pl.col("date").shift(1).over(group)
    delta = pl.col("value") - previous
    injected = pl.col("_injected").fill_null(strategy="forward").over("patient_id")
    since_injection = (pl.col("date") - injected).dt.total_days()
    return ordered.with_columns(
        previous_value=previous,
        delta=delta,
        direction=pl.when(previous.is_null())
        .then(pl.lit("first"))
        .when(delta > 0)
        .then(pl.lit("up"))
        .when(delta < 0)
        .then(pl.lit("down"))
        .otherwise(pl.lit("same")),
        days_since_previous=(pl.col("date") - previous_date).dt.total_days(),
        days_since_injection=pl.when(since_injection >= 0).then(since_injection),
    ).drop("_injected")


def write_trend(input_path: Path, out: Path, knowledge: Knowledge) -> int:
    """Write the trend of a file to ``out`` (.csv or .parquet); returns the number of rows."""
    frame, _ = scan(input_path)
    result = trend_frame(frame, knowledge).collect()
    if out.suffix.lower() == ".parquet":
        result.write_parquet(out)
    else:
        result.write_csv(out)
    return result.height
