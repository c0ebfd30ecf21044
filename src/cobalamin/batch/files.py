"""Output files in the format their name says: CSV, Parquet, JSON Lines or Excel.

``.csv``, ``.parquet`` and ``.jsonl`` are written whole, sunk (streamed) or appended to; an
``.xlsx`` workbook is made from a finished Parquet file, streamed row by row through
xlsxwriter's constant-memory mode (a worksheet holds at most 1,048,576 rows). Any other
extension is refused before anything is read.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from cobalamin.errors import InputError

__all__ = [
    "FORMATS",
    "XLSX_MAX_ROWS",
    "Writer",
    "append",
    "is_parquet",
    "output_format",
    "scan_output",
    "sink",
    "to_xlsx",
    "write",
]

Format = Literal["csv", "parquet", "jsonl", "xlsx"]
FORMATS: dict[str, Format] = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".jsonl": "jsonl",
    ".xlsx": "xlsx",
}
XLSX_MAX_ROWS = 1_048_576 - 1  # one row is the header
_XLSX_SLICE = 50_000


def output_format(path: Path, option: str) -> Format:
    """The format a file name asks for; any other extension is an input error naming the
    option (``--out``, ``--errors``) and what is allowed."""
    found = FORMATS.get(path.suffix.lower())
    if found is None:
        raise InputError(
            option,
            f"cannot write {path.name}: unknown output format {path.suffix or '(no extension)'}",
            ".csv, .parquet, .jsonl (JSON Lines), .xlsx (Excel)",
        )
    return found


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() == ".parquet"


def _format(path: Path) -> Format:
    return FORMATS.get(path.suffix.lower(), "csv")


def sink(frame: pl.LazyFrame, path: Path) -> pl.LazyFrame:
    """A lazy sink of ``frame`` into ``path`` (CSV, Parquet or JSON Lines)."""
    kind = _format(path)
    if kind == "parquet":
        return frame.sink_parquet(path, lazy=True)
    if kind == "jsonl":
        return frame.sink_ndjson(path, lazy=True)
    return frame.sink_csv(path, lazy=True)


def write(frame: pl.DataFrame, path: Path) -> None:
    kind = _format(path)
    if kind == "parquet":
        frame.write_parquet(path)
    elif kind == "jsonl":
        frame.write_ndjson(path)
    elif kind == "xlsx":
        _fits(frame.height, "--out")
        _xlsx(frame.lazy(), frame.height, path)
    else:
        frame.write_csv(path)


def scan_output(path: Path) -> pl.LazyFrame:
    """A written output file read back (text columns as text)."""
    kind = _format(path)
    if kind == "parquet":
        return pl.scan_parquet(path)
    if kind == "jsonl":
        return pl.scan_ndjson(path)
    return pl.scan_csv(path, infer_schema=False)


def append(frame: pl.DataFrame, path: Path) -> None:
    """Add rows to a finished file with the same columns. CSV and JSON Lines are appended to;
    a Parquet file is copied a row group at a time with the new rows after it (text that was
    dictionary-encoded with a fixed set of values, polars' Enum, becomes plain text: the new
    rows hold texts the set lacks)."""
    if frame.is_empty():
        return
    kind = _format(path)
    if kind == "csv":
        with path.open("ab") as handle:
            frame.write_csv(handle, include_header=False)
        return
    if kind == "jsonl":
        with path.open("ab") as handle:
            frame.write_ndjson(handle)
        return
    source = pq.ParquetFile(path)
    fields = [
        pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type)
        for f in source.schema_arrow
    ]
    schema = pa.schema(fields)  # without polars' metadata that fixes the Enum values
    copy = path.with_name(f"{path.name}.appending")
    with pq.ParquetWriter(copy, schema, compression="zstd") as writer:
        for group in range(source.num_row_groups):
            writer.write_table(_cast(source.read_row_group(group), schema))
        writer.write_table(_cast(frame.to_arrow(), schema))
    os.replace(copy, path)


def _cast(table: pa.Table, schema: pa.Schema) -> pa.Table:
    columns = [table.column(field.name).cast(field.type) for field in schema]
    return pa.Table.from_arrays(columns, schema=schema)


def to_xlsx(source: Path, path: Path, option: str) -> None:
    """An Excel workbook of a Parquet file, written row by row (constant memory)."""
    frame = pl.scan_parquet(source)
    rows = int(frame.select(pl.len()).collect().item())
    _fits(rows, option)
    _xlsx(frame, rows, path)


def _fits(rows: int, option: str) -> None:
    if rows > XLSX_MAX_ROWS:
        raise InputError(
            option,
            f"{rows} rows do not fit in one Excel worksheet (at most {XLSX_MAX_ROWS})",
            ".csv, .parquet or .jsonl for files this large",
        )


def _xlsx(frame: pl.LazyFrame, rows: int, path: Path) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                               "strings_to_formulas": False, "strings_to_urls": False})  # fmt: skip
    sheet = workbook.add_worksheet()
    names = frame.collect_schema().names()
    sheet.write_row(0, 0, names)
    line = 1
    text = frame.with_columns(pl.col(pl.Enum, pl.Categorical).cast(pl.String))
    for offset in range(0, rows, _XLSX_SLICE):
        for row in text.slice(offset, _XLSX_SLICE).collect().iter_rows():
            sheet.write_row(line, 0, [_cell(v) for v in row])
            line += 1
    workbook.close()


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


class Writer:
    """Appends polars batches to a CSV, Parquet or JSON Lines file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0
        self._parquet: pq.ParquetWriter | None = None
        self._text: Any = None

    def write(self, frame: pl.DataFrame) -> None:
        kind = _format(self.path)
        if kind == "parquet":
            table = frame.to_arrow()
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self.path, table.schema, compression="zstd")
            self._parquet.write_table(table)
        elif kind == "jsonl":
            if self._text is None:
                self._text = self.path.open("wb")
            frame.write_ndjson(self._text)
        else:
            if self._text is None:
                self._text = self.path.open("wb")
                frame.write_csv(self._text, include_header=True)
            else:
                frame.write_csv(self._text, include_header=False)
        self.rows += frame.height

    def close(self, empty: pl.DataFrame) -> None:
        if self._parquet is None and self._text is None:
            write(empty, self.path)
        if self._parquet is not None:
            self._parquet.close()
        if self._text is not None:
            self._text.close()
