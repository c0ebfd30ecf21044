"""Shared helpers for the batch tests: cases as long-form rows, assess as the reference."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from cobalamin import assess
from cobalamin.knowledge.model import Pack

COLUMNS = (
    "deficiency",
    "severe",
    "next_tests",
    "reflex_tests",
    "alerts",
    "comment_en",
    "comment_nl",
    "censored",
)
LIST_FIELDS = ("conditions", "medications", "symptoms")


def expected(case: dict[str, Any], pack: Pack) -> dict[str, Any]:
    """What the batch output must say for one case: ``assess`` in the batch's column form."""
    result = assess(case, pack)
    return {
        "deficiency": result.deficiency,
        "severe": result.severe,
        "next_tests": ";".join(t.test for t in result.next_tests),
        "reflex_tests": ";".join(result.reflex_tests),
        "alerts": ";".join(a.code for a in result.alerts),
        "comment_en": result.comment("en"),
        "comment_nl": result.comment("nl"),
        "censored": ";".join(result.censored),
        "cb12": None if result.cb12 is None else result.cb12.value,
    }


def long_rows(sample_id: str, case: dict[str, Any]) -> list[dict[str, Any]]:
    """The long-form rows of one case (person columns repeated on every row)."""
    person = dict(case.get("person", {}))
    columns: dict[str, Any] = {}
    for key, value in person.items():
        if key in LIST_FIELDS:
            columns[key] = ";".join(value)
        elif isinstance(value, bool):
            columns[key] = "true" if value else "false"
        else:
            columns[key] = None if value is None else str(value)
    rows = []
    for result in case["results"]:
        unit = result.get("unit")
        rows.append(
            {
                "sample_id": sample_id,
                "test": result["test"],
                "value": result["value"]
                if isinstance(result["value"], str)
                else repr(result["value"]),
                "unit": unit,
                **columns,
            }
        )
    if not rows:  # a case without results is one row with an empty test: it becomes an error
        rows.append({"sample_id": sample_id, "test": None, "value": None, "unit": None, **columns})
    return rows


def write_long_csv(path: Path, cases: list[dict[str, Any]]) -> None:
    rows = [row for i, case in enumerate(cases) for row in long_rows(f"S{i:05d}", case)]
    names = ["sample_id", "test", "value", "unit", "age", "sex", "pregnant", "trimester",
             "lactating", "wish_to_conceive", "diet", *LIST_FIELDS]  # fmt: skip
    data = {
        name: [None if row.get(name) is None else str(row[name]) for row in rows] for name in names
    }
    pl.DataFrame(data, schema={name: pl.String for name in names}).write_csv(path)
