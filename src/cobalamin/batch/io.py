"""Reading lab files (CSV or Parquet, long or wide form) into a facts frame plus an error frame.

Long form (``cobalamin.batch.long_form``): ``sample_id, test, value, unit`` plus optional
person columns, one row per result. Wide form (``cobalamin.batch.wide_form``): ``sample_id``
plus one column per test id (canonical unit) or ``test[unit]``. Person columns (both forms,
``cobalamin.batch.person_columns``): ``age, sex, pregnant, trimester, lactating,
wish_to_conceive, diet, conditions, medications, symptoms``, and ``date`` with
``last_b12_injection``; lists are separated by ``;``, ``,`` or ``|``. A site's local test codes
(``cobalamin.knowledge.local_codes``) may stand for test ids in either form. CSV dialects
(separator, encoding, BOM, CRLF, decimal commas) are read as they come.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from cobalamin.batch.lab_file import ERROR_SCHEMA, LabFile, scan, scan_dialect
from cobalamin.batch.long_form import read_long
from cobalamin.batch.person_columns import PERSON_COLUMNS
from cobalamin.batch.wide_form import read_wide
from cobalamin.knowledge.local_codes import LocalCodes
from cobalamin.knowledge.registry import Knowledge

__all__ = ["ERROR_SCHEMA", "PERSON_COLUMNS", "LabFile", "read_lab_file", "scan"]


def read_lab_file(path: Path, knowledge: Knowledge, codes: LocalCodes | None = None) -> LabFile:
    """A lab file as a lazy facts frame and a lazy error frame (nothing is read yet but counts).

    ``codes``: a site's local test codes."""
    frame, rows, dialect = scan_dialect(path)
    names = frame.collect_schema().names()
    if "test" in names and "value" in names:
        lab = read_long(frame, rows, knowledge, codes)
    else:
        lab = read_wide(frame, rows, knowledge, codes)
    return replace(lab, dialect=dialect)
