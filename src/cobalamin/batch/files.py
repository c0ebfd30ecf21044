"""Output files: CSV or Parquet by the file's suffix, written whole, sunk, or appended to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

__all__ = ["Writer", "is_parquet", "sink", "write"]


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() == ".parquet"


def sink(frame: pl.LazyFrame, path: Path) -> pl.LazyFrame:
    if is_parquet(path):
        return frame.sink_parquet(path, lazy=True)
    return frame.sink_csv(path, lazy=True)


def write(frame: pl.DataFrame, path: Path) -> None:
    if is_parquet(path):
        frame.write_parquet(path)
    else:
        frame.write_csv(path)


class Writer:
    """Appends polars batches to a CSV or Parquet file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0
        self._parquet: pq.ParquetWriter | None = None
        self._csv: Any = None

    def write(self, frame: pl.DataFrame) -> None:
        if is_parquet(self.path):
            table = frame.to_arrow()
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self.path, table.schema, compression="zstd")
            self._parquet.write_table(table)
        else:
            if self._csv is None:
                self._csv = self.path.open("wb")
                frame.write_csv(self._csv, include_header=True)
            else:
                frame.write_csv(self._csv, include_header=False)
        self.rows += frame.height

    def close(self, empty: pl.DataFrame) -> None:
        if self._parquet is None and self._csv is None:
            write(empty, self.path)
        if self._parquet is not None:
            self._parquet.close()
        if self._csv is not None:
            self._csv.close()
