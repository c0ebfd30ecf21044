"""Reading lab files (CSV or Parquet, long or wide form) into a facts frame plus an error frame.

Long form (``cobalamin.batch.long_form``): ``sample_id, test, value, unit`` plus optional
person columns, one row per result. Wide form (``cobalamin.batch.wide_form``): ``sample_id``
plus one column per test id (canonical unit) or ``test[unit]``. Person columns (both forms,
``cobalamin.batch.person_columns``): ``age, sex, pregnant, trimester, lactating,
wish_to_conceive, diet, conditions, medications, symptoms``, and ``date`` with
``last_b12_injection``; lists are separated by ``;``, ``,`` or ``|``.
"""

from __future__ import annotations

from pathlib import Path

from cobalamin.batch.lab_file import ERROR_SCHEMA, LabFile, scan
from cobalamin.batch.long_form import read_long
from cobalamin.batch.person_columns import PERSON_COLUMNS
from cobalamin.batch.wide_form import read_wide
from cobalamin.knowledge.registry import Knowledge

__all__ = ["ERROR_SCHEMA", "PERSON_COLUMNS", "LabFile", "read_lab_file", "scan"]


def read_lab_file(path: Path, knowledge: Knowledge) -> LabFile:
    """A lab file as a lazy facts frame and a lazy error frame (nothing is read yet but counts)."""
    frame, rows = scan(path)
    names = frame.collect_schema().names()
    if "test" in names and "value" in names:
        return read_long(frame, rows, knowledge)
    return read_wide(frame, rows, knowledge)
