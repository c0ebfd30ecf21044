"""The engines a compiled pack runs on, through narwhals: polars, DuckDB, Dask, PySpark.

polars is the default and streams (lazy scan to sink). The others read a facts Parquet file
(written by polars from the validated input) with their own reader, evaluate the very same
compiled expressions through narwhals, and hand the result back as a polars frame. On a
cluster, point Spark at a facts file on shared storage and use :func:`evaluate_native`.
"""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path
from typing import Any

import narwhals as nw
import polars as pl

from cobalamin.batch import ENGINES, Engine
from cobalamin.batch.compile import OUTPUT_COLUMNS, CompiledPack, apply
from cobalamin.errors import InputError

__all__ = ["ENGINES", "KEEP", "Engine", "evaluate_file", "evaluate_native", "spark_session"]

KEEP = ("sample_id", "rows", "_order")  # passed through every engine: id, input rows, order


@cache
def spark_session() -> Any:
    """One local Spark session (local[1], UI off, one shuffle partition)."""
    SparkSession = _extra("spark", "pyspark.sql").SparkSession
    return (
        SparkSession.builder.master("local[1]")
        .appName("cobalamin-batch")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


def evaluate_native(compiled: CompiledPack, native: Any, keep: tuple[str, ...] = KEEP) -> Any:
    """Apply a compiled pack to any native frame narwhals knows; returns the native result."""
    return apply(compiled, nw.from_native(native), keep).to_native()


def _extra(engine: str, module: str) -> Any:
    """An engine's module, or an input error naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise InputError(
            "engine", f"the {engine} engine is not installed: pip install 'cobalamin[{engine}]'"
        ) from None


def _read(engine: Engine, facts: Path) -> Any:
    if engine == "duckdb":
        return _extra("duckdb", "duckdb").read_parquet(str(facts))
    if engine == "dask":
        return _extra("dask", "dask.dataframe").read_parquet(str(facts))
    if engine == "spark":
        return spark_session().read.parquet(str(facts))
    return pl.scan_parquet(facts)


def _to_polars(engine: Engine, result: Any) -> pl.DataFrame:
    if engine == "duckdb":
        return pl.from_arrow(result.to_arrow_table())  # type: ignore[return-value]
    if engine == "dask":
        return pl.from_pandas(result.compute())
    if engine == "spark":
        return pl.from_arrow(result.toArrow())  # type: ignore[return-value]
    collected: pl.DataFrame = result.collect()
    return collected


def evaluate_file(compiled: CompiledPack, engine: Engine, facts: Path) -> pl.DataFrame:
    """The outputs (with ``sample_id, rows, _order``) for a facts Parquet file on one engine,
    sorted by ``_order``, as a polars frame."""
    if engine not in ENGINES:
        raise InputError("engine", f"unknown engine {engine!r}", ", ".join(ENGINES))
    result = _to_polars(engine, evaluate_native(compiled, _read(engine, facts)))
    return result.sort("_order")


def normalise_output(frame: pl.DataFrame | pl.LazyFrame, *, text: bool = True) -> Any:
    """The output columns with their final types (cB12 Float64; text as String, or as it is
    when ``text`` is false: the polars path keeps its Enum columns, which Parquet stores as
    dictionary-encoded strings, far cheaper to write than one string per row)."""
    types: dict[str, pl.DataType] = {
        "sample_id": pl.String(),
        "rows": pl.Int64(),
        "severe": pl.Boolean(),
        "cb12": pl.Float64(),
    }
    return frame.select(
        [pl.col("sample_id").cast(pl.String), pl.col("rows").cast(pl.Int64)]
        + [
            pl.col(name).cast(types[name]) if name in types else _text(name, text)
            for name in OUTPUT_COLUMNS
        ]
    )


def _text(name: str, as_string: bool) -> pl.Expr:
    return pl.col(name).cast(pl.String) if as_string else pl.col(name)
