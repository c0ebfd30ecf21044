"""Batch interpretation: the assessment pipeline compiled to dataframe expressions.

Importing this package is cheap; the modules below it load polars and narwhals (and the
DuckDB, Dask and Spark engines only when one is chosen).
"""

from typing import Literal

__all__ = ["ENGINES", "Engine"]

Engine = Literal["polars", "duckdb", "spark", "dask"]
ENGINES: tuple[Engine, ...] = ("polars", "duckdb", "spark", "dask")
