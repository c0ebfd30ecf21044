"""The cumulative view: per patient and test, how each result moved since the previous one.

Input is long form with ``patient_id``, ``date`` (sample date, YYYY-MM-DD), ``test`` (a test
id or a site's local code), ``value``, ``unit`` and optionally ``last_b12_injection``; any CSV
dialect the batch reads. Values are converted to canonical units first, so a B12 in ng/L and
one in pmol/L compare. A row that cannot be read goes to the error file with its line, field
and reason: every input row is either a trend row or an error row (checked).

Per row: the value (rounded, ``data/trend.yaml``) with its ``unit`` and ``comparator`` (a
censored ``<50`` keeps its limit), the previous value, the change (absolute and in percent),
the direction (``first``, ``up``, ``down``, ``same``, or ``uncertain`` when a censored value
leaves it open), days since the previous result and since the last B12 injection, and whether
the change is larger than the reference change value
``RCV = z * sqrt(2) * sqrt(CVa^2 + CVi^2)`` (for a censored result: true when even the
smallest change it allows is larger, else empty): CVi from ``data/biological_variation.yaml`` (with
its source), CVa the laboratory's own analytical CV (``cva``). Without either, a test gets no
flag (``rcv_percent`` and ``significant`` empty).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from cobalamin.batch.files import output_format, write
from cobalamin.batch.lab_file import (
    censored_number,
    first_error,
    fmt,
    impossible,
    refused,
    scan_dialect,
)
from cobalamin.batch.long_form import FactorLookup, factor_table
from cobalamin.batch.person_columns import text
from cobalamin.errors import CobalaminError, InputError
from cobalamin.knowledge.local_codes import LocalCodes
from cobalamin.knowledge.registry import Knowledge
from cobalamin.version import ENGINE_VERSION

__all__ = ["TREND_COLUMNS", "TrendReport", "trend_frames", "write_trend"]

TREND_COLUMNS = (
    "patient_id", "test", "date", "value", "unit", "comparator", "previous_value",
    "previous_comparator", "delta", "delta_percent", "rcv_percent", "significant", "direction",
    "days_since_previous", "days_since_injection", "engine_version",
)  # fmt: skip
_ERRORS = {"line": pl.Int64, "patient_id": pl.String, "field": pl.String, "reason": pl.String}


@dataclass(frozen=True)
class TrendReport:
    rows_in: int
    rows_out: int
    rows_error: int
    out: Path
    errors: Path
    flagged: tuple[str, ...]  # tests whose changes are tested against an RCV
    unflagged: tuple[str, ...]  # tests in the file without an RCV (no CVi, or no CVa given)

    def summary(self) -> str:
        lines = [
            f"rows in: {self.rows_in}, trend rows: {self.rows_out}, rows with errors: "
            f"{self.rows_error} -> {self.out}; errors -> {self.errors}"
        ]
        if self.flagged:
            lines.append(
                f"changes tested against a reference change value: {', '.join(self.flagged)}"
            )
        if self.unflagged:
            lines.append(
                f"no significance flag for {', '.join(self.unflagged)}: no within-subject CV in "
                "data/biological_variation.yaml or no --cva TEST=PERCENT (the laboratory's "
                "analytical CV) given"
            )
        return "\n".join(lines)


def _interval(value: pl.Expr, comparator: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr, pl.Expr]:
    """(low, high, low is open, high is open) of the values a result allows."""
    below = comparator.is_in(["<", "<=", "=<", "≤"]).fill_null(False)
    above = comparator.is_in([">", ">=", "=>", "≥"]).fill_null(False)
    low = pl.when(below).then(float("-inf")).otherwise(value)
    high = pl.when(above).then(float("inf")).otherwise(value)
    return low, high, (comparator == ">").fill_null(False), (comparator == "<").fill_null(False)


def _surely_beyond(previous: list[pl.Expr], current: list[pl.Expr], limit: pl.Expr) -> pl.Expr:
    """True when even the smallest change a censored result allows exceeds the RCV (``<50``
    then 412 rose at least 724 %), else null: the change cannot be decided."""
    p_low, p_high, c_low, c_high = previous[0], previous[1], current[0], current[1]
    least_rise = (c_low - p_high) / p_high * 100
    least_fall = (c_high - p_low) / p_low * 100
    rise = p_high.is_finite() & c_low.is_finite() & (p_high > 0) & (least_rise > limit)
    fall = p_low.is_finite() & c_high.is_finite() & (p_low > 0) & (least_fall < -limit)
    return pl.when(limit.is_not_null() & (rise | fall)).then(pl.lit(True))


def _direction(previous: list[pl.Expr], current: list[pl.Expr]) -> pl.Expr:
    p_low, p_high, p_low_open, p_high_open = previous
    c_low, c_high, c_low_open, c_high_open = current
    up = (p_high < c_low) | ((p_high == c_low) & (p_high_open | c_low_open))
    down = (c_high < p_low) | ((c_high == p_low) & (c_high_open | p_low_open))
    exact = (p_low == p_high) & (c_low == c_high)
    return (
        pl.when(p_low.is_null()).then(pl.lit("first"))
        .when(up).then(pl.lit("up"))
        .when(down).then(pl.lit("down"))
        .when(exact).then(pl.lit("same"))
        .otherwise(pl.lit("uncertain"))
    )  # fmt: skip


def _rounded(value: pl.Expr, decimals: pl.Expr) -> pl.Expr:
    chain: Any = pl.when(decimals == 0).then(value.round(0, mode="half_away_from_zero"))
    for places in (1, 2, 3):
        chain = chain.when(decimals == places).then(value.round(places, mode="half_away_from_zero"))
    result: pl.Expr = chain.otherwise(value)
    return result


def trend_frames(
    frame: pl.LazyFrame,
    knowledge: Knowledge,
    cva: Mapping[str, float] | None = None,
    codes: LocalCodes | None = None,
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """(trend rows, error rows) of a lazily read long-form frame (columns as text or typed)."""
    names = frame.collect_schema().names()
    for required in ("patient_id", "date", "test", "value"):
        if required not in names:
            raise InputError(required, f"the trend input has no {required} column")
    if "unit" not in names:
        frame = frame.with_columns(unit=pl.lit(None, pl.String))
    if "last_b12_injection" not in names:
        frame = frame.with_columns(last_b12_injection=pl.lit(None, pl.String))
    schema = frame.collect_schema()
    lookup = FactorLookup(factor_table(frame, knowledge.analytes, codes))
    frame = frame.with_columns(lookup.cell())
    name = lookup.column("_test").fill_null("(empty)")
    factor = lookup.column("_factor")
    comparator, measured = censored_number("value", schema)
    canonical = measured * factor
    date = text("date").str.to_date(strict=False)
    injected = text("last_b12_injection").str.to_date(strict=False)
    checks = [
        ("patient_id", text("patient_id").is_null(), pl.lit("missing id")),
        ("date", date.is_null(), pl.lit("must be a date (YYYY-MM-DD)")),
        ("test", lookup.column("_test_id").is_null(), pl.format("unknown test {}", name)),
        ("test", lookup.column("_qualitative"), pl.format("{} is qualitative: it has no trend", name)),
        ("value", measured.is_null() | ~measured.is_finite(), pl.lit("not a number")),
        ("unit", factor.is_null(), pl.format("unknown unit {} for {}",
                                             lookup.column("_unit").fill_null("(empty)"), name)),
        ("value", impossible(canonical, comparator, lookup.column("_low"), lookup.column("_high")),
         pl.format("not a possible {} result ({})", name, lookup.column("_range"))),
        ("last_b12_injection", text("last_b12_injection").is_not_null() & injected.is_null(),
         pl.lit("must be a date (YYYY-MM-DD)")),
    ]  # fmt: skip
    index, field, reason = first_error(checks)
    checked = frame.with_columns(_check=index)
    errors = checked.filter(pl.col("_check") >= 0).select(
        pl.col("_line").cast(pl.Int64).alias("line"),
        text("patient_id").alias("patient_id"),
        field.alias("field"),
        reason.alias("reason"),
    )
    tests = list(knowledge.analytes)
    variation = knowledge.biological_variation
    rcv = {t: variation.rcv(t, (cva or {}).get(t)) for t in tests}
    decimals = knowledge.trend_display.decimals
    units = {t: knowledge.analytes[t].canonical_unit for t in tests}
    rows = checked.filter(pl.col("_check") < 0).select(
        text("patient_id").alias("patient_id"),
        lookup.column("_test").alias("test"),
        date.alias("date"),
        canonical.alias("_value"),
        comparator.alias("comparator"),
        injected.alias("_injected"),
    )
    group = ["patient_id", "test"]
    # the last injection at each sample: the latest injection date any row of the patient
    # gives that is not after the sample's date
    injections = (
        rows.select("patient_id", pl.col("_injected")).drop_nulls().unique().sort("_injected")
    )
    rows = (
        rows.drop("_injected")
        .sort("date")
        .join_asof(
            injections,
            left_on="date",
            right_on="_injected",
            by="patient_id",
            strategy="backward",
            check_sortedness=False,
        )
    )
    ordered = rows.sort([*group, "date"], maintain_order=True)
    value, cmp = pl.col("_value"), pl.col("comparator")
    previous, previous_cmp = value.shift(1).over(group), cmp.shift(1).over(group)
    exact = cmp.is_null() & previous_cmp.is_null()
    delta = pl.when(exact).then(value - previous)
    percent = pl.when(previous != 0).then(delta / previous * 100)
    limit = pl.col("test").replace_strict(rcv, default=None, return_dtype=pl.Float64)
    places = pl.col("test").replace_strict(decimals, default=None, return_dtype=pl.Int64)
    since_injection = (pl.col("date") - pl.col("_injected")).dt.total_days()
    before, after = list(_interval(previous, previous_cmp)), list(_interval(value, cmp))
    direction = _direction(before, after)
    result = ordered.with_columns(
        value=_rounded(value, places),
        unit=pl.col("test").replace_strict(units, default=None, return_dtype=pl.String),
        previous_value=_rounded(previous, places),
        previous_comparator=previous_cmp,
        delta=_rounded(delta, places),
        delta_percent=percent.round(1, mode="half_away_from_zero"),
        rcv_percent=limit.round(1, mode="half_away_from_zero"),
        significant=pl.when(percent.is_not_null() & limit.is_not_null())
        .then(percent.abs() > limit)
        .otherwise(_surely_beyond(before, after, limit)),
        direction=direction,
        days_since_previous=(pl.col("date") - pl.col("date").shift(1).over(group)).dt.total_days(),
        days_since_injection=pl.when(since_injection >= 0).then(since_injection),
        engine_version=pl.lit(ENGINE_VERSION),
    ).select(TREND_COLUMNS)
    return result, errors


def write_trend(
    input_path: Path,
    out: Path,
    knowledge: Knowledge,
    errors: Path | None = None,
    cva: Mapping[str, float] | None = None,
    codes: LocalCodes | None = None,
) -> TrendReport:
    """Write the trend of a file to ``out`` and its unreadable rows to ``errors`` (default
    ``OUT.errors.csv``), each in the format its name says; both or neither are written."""
    errors = errors or out.with_name(f"{out.stem}.errors.csv")
    output_format(out, "--out")
    output_format(errors, "--errors")
    if out.resolve() in (errors.resolve(), input_path.resolve()):
        raise InputError("--out", "the output must differ from the input and the error file")
    for test, value in (cva or {}).items():
        if test not in knowledge.analytes:
            raise InputError("--cva", f"unknown test {test!r}", ", ".join(knowledge.analytes))
        if not 0 <= value < 100:
            raise InputError("--cva", f"{test}={fmt(value)} is not a CV in percent", "0 to 100")
    frame, rows_in, _ = scan_dialect(input_path)
    result_plan, error_plan = trend_frames(frame, knowledge, cva, codes)
    try:
        result, bad = pl.collect_all([result_plan, error_plan])
    except pl.exceptions.ComputeError as exc:
        raise refused(input_path, exc) from None
    if result.height + bad.height != rows_in:
        raise CobalaminError(
            f"row conservation failed: {rows_in} rows in, {result.height} trend rows, "
            f"{bad.height} with errors; no output written"
        )
    present = sorted(set(result["test"].drop_nulls()))
    flagged = tuple(t for t in present if knowledge.biological_variation.rcv(t, (cva or {}).get(t)))
    written: list[Path] = []
    try:
        for frame_out, target in ((bad.cast(pl.Schema(_ERRORS)), errors), (result, out)):
            tmp = target.with_name(f".{target.stem}.partial-{os.getpid()}{target.suffix}")
            written.append(tmp)
            write(frame_out, tmp)
            os.replace(tmp, target)
    finally:
        for tmp in written:
            with contextlib.suppress(OSError):
                tmp.unlink()
    return TrendReport(
        rows_in, result.height, bad.height, out, errors, flagged,
        tuple(t for t in present if t not in flagged),
    )  # fmt: skip
