"""What a laboratory's CSV export looks like: its separator and its character encoding.

Exports come from spreadsheets and laboratory information systems: comma-, semicolon- or
tab-separated (a Dutch or Belgian Excel writes ``;`` with decimal commas, ``0,52``), in UTF-8
(with or without a byte-order mark) or in the Windows code page (Excel's plain "CSV" on a
Dutch Windows writes ``µ`` as one byte). Only the start of the file is read to decide; polars
itself copes with a BOM, CRLF line ends and quoted fields, and the readers accept decimal
commas in every number column.
"""

from __future__ import annotations

import atexit
import csv
import io
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SEPARATORS", "CsvDialect", "detect_dialect", "ragged_lines"]

SEPARATORS = (",", ";", "\t")
_SAMPLE_BYTES = 1 << 16
_SAMPLE_LINES = 50
_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


@dataclass(frozen=True)
class CsvDialect:
    """How to read a CSV file: ``path`` is the file to scan (a UTF-8 copy when re-encoded)."""

    path: Path
    separator: str
    encoding: str  # what the file was written in: utf-8 or windows-1252

    def describe(self) -> str:
        return f"{_NAMES[self.separator]}-separated, {self.encoding}"


def _decode(sample: bytes) -> tuple[str, str]:
    """The sample as text and its encoding; a character cut off at the sample's end is fine."""
    for cut in range(4):
        try:
            return sample[: len(sample) - cut].decode("utf-8"), "utf-8"
        except UnicodeDecodeError as exc:
            if exc.start < len(sample) - 4:  # a bad byte inside the sample: not UTF-8
                break
    return sample.decode("cp1252", errors="replace"), "windows-1252"


def _separator(text: str) -> str:
    """The candidate that splits the header into the most fields, consistently over the
    sampled lines (quotes respected); a one-column file reads as comma-separated."""
    lines = text.lstrip("\ufeff").splitlines()[:_SAMPLE_LINES]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last sampled line may be cut off
    best, best_fields = ",", 1
    for separator in SEPARATORS:
        rows = [row for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=separator)]
        rows = [row for row in rows if row]
        if not rows:
            continue
        fields = len(rows[0])
        consistent = all(len(row) == fields for row in rows[1:])
        if fields > best_fields and (consistent or len(rows) == 1):
            best, best_fields = separator, fields
    return best


def _utf8_copy(path: Path) -> Path:
    """A UTF-8 copy of a Windows-1252 file, removed when the process ends."""
    folder = Path(tempfile.mkdtemp(prefix="cobalamin-utf8-"))
    atexit.register(shutil.rmtree, folder, True)
    copy = folder / path.name
    with (
        path.open("r", encoding="cp1252", errors="replace", newline="") as source,
        copy.open("w", encoding="utf-8", newline="") as target,
    ):
        shutil.copyfileobj(source, target, 1 << 20)
    return copy


def detect_dialect(path: Path) -> CsvDialect:
    """The separator and encoding of a CSV file, from its first 64 KiB."""
    with path.open("rb") as handle:
        sample = handle.read(_SAMPLE_BYTES)
    text, encoding = _decode(sample)
    separator = _separator(text)
    readable = path if encoding == "utf-8" else _utf8_copy(path)
    return CsvDialect(readable, separator, encoding)


def ragged_lines(path: Path, limit: int = 3) -> str:
    """Where a CSV file's lines have another number of fields than its header (read only when
    polars refused the file): ``line 4 has 6 fields, the header 5; ...``."""
    found = detect_dialect(path)
    problems: list[str] = []
    with found.path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=found.separator)
        header = next(reader, [])
        for row in reader:
            if row and len(row) != len(header):
                problems.append(
                    f"line {reader.line_num} has {len(row)} fields, the header {len(header)}"
                )
                if len(problems) >= limit:
                    break
    hint = ' (in a comma-separated file a decimal comma must be quoted: "0,52")'
    return "; ".join(problems) + (hint if found.separator == "," and problems else "")
