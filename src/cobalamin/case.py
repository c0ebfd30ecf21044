"""A case: one person's context and lab results, parsed, validated and normalised.

Normalising puts every quantitative result into its canonical unit and checks it against the
catalogue's ranges: outside the hard range is an input error, outside the soft range a warning.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from cobalamin.analytes import AnalyteCatalogue
from cobalamin.errors import InputError
from cobalamin.person import Person, parse_person
from cobalamin.units import to_canonical
from cobalamin.vocabulary import Vocabulary

__all__ = ["Case", "Result", "ValueWarning", "parse_case"]


@dataclass(frozen=True)
class ValueWarning:
    """A result that is plausible but outside the assay's measuring range."""

    test: str
    code: str
    text: str


@dataclass(frozen=True)
class Result:
    """One result in its canonical unit (quantitative) or as a word (qualitative)."""

    test: str
    value: float | str
    unit: str | None
    original_value: float | str
    original_unit: str | None


@dataclass(frozen=True)
class Case:
    person: Person
    results: dict[str, Result]
    date: dt.date | None = None
    warnings: tuple[ValueWarning, ...] = field(default=())

    def value(self, test: str) -> float | str | None:
        found = self.results.get(test)
        return None if found is None else found.value


def _number(raw: Any, field_name: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise InputError(field_name, f"must be a number, got {raw!r}")
    try:
        number = float(raw)
    except ValueError:
        raise InputError(field_name, f"must be a number, got {raw!r}") from None
    if not math.isfinite(number):
        raise InputError(field_name, f"must be a finite number, got {raw!r}")
    return number


def _fmt(number: float) -> str:
    return f"{number:g}"


def normalise_result(
    analytes: AnalyteCatalogue, test: str, raw_value: Any, unit: Any, where: str
) -> tuple[Result, list[ValueWarning]]:
    """Validate and convert one result. ``where`` prefixes field names in errors."""
    item = analytes.analyte(test, field=f"{where}.test")
    if item.kind == "qualitative":
        if not isinstance(raw_value, str) or raw_value.strip().lower() not in item.values:
            raise InputError(
                f"{where}.value", f"{raw_value!r} is not a result of {test}", ", ".join(item.values)
            )
        word = raw_value.strip().lower()
        return Result(test, word, None, raw_value, None), []
    if not isinstance(unit, str) or not unit.strip():
        raise InputError(f"{where}.unit", "a unit is required", ", ".join(item.example_units))
    number = _number(raw_value, f"{where}.value")
    canonical = to_canonical(item, number, unit)
    hard = item.hard_range
    assert hard is not None  # guaranteed by the catalogue's validator
    if not hard.low <= canonical <= hard.high:
        raise InputError(
            f"{where}.value",
            f"{_fmt(number)} {unit} is not a possible {test} result",
            f"{_fmt(hard.low)} to {_fmt(hard.high)} {hard.unit}",
        )
    warnings: list[ValueWarning] = []
    soft = item.soft_range
    if soft is not None and not soft.low <= canonical <= soft.high:
        warnings.append(
            ValueWarning(
                test,
                "outside_measuring_range",
                f"{test} {_fmt(number)} {unit} is outside the assay measuring range "
                f"{_fmt(soft.low)}-{_fmt(soft.high)} {soft.unit}; check the result and its unit",
            )
        )
    return Result(test, canonical, item.canonical_unit, number, unit.strip()), warnings


def parse_results(
    data: Any, analytes: AnalyteCatalogue, *, field_name: str = "results"
) -> tuple[dict[str, Result], list[ValueWarning]]:
    """Results from a JSON-like list of ``{test, value, unit}``."""
    if data is None:
        return {}, []
    if not isinstance(data, list):
        raise InputError(field_name, "must be a list of {test, value, unit}")
    results: dict[str, Result] = {}
    warnings: list[ValueWarning] = []
    for index, entry in enumerate(data):
        where = f"{field_name}[{index}]"
        if not isinstance(entry, dict):
            raise InputError(where, "must be an object {test, value, unit}")
        unknown = set(entry) - {"test", "value", "unit"}
        if unknown:
            raise InputError(f"{where}.{sorted(unknown)[0]}", "unknown field", "test, value, unit")
        test = entry.get("test")
        if not isinstance(test, str):
            raise InputError(f"{where}.test", "a test id is required")
        if test in results:
            raise InputError(f"{where}.test", f"{test} is given twice in one case")
        if "value" not in entry:
            raise InputError(f"{where}.value", "a value is required")
        result, found = normalise_result(analytes, test, entry["value"], entry.get("unit"), where)
        results[test] = result
        warnings.extend(found)
    return results, warnings


def parse_case(data: Any, analytes: AnalyteCatalogue, vocabulary: Vocabulary) -> Case:
    """A validated, normalised Case from JSON-like data (see DESIGN.md, "The contract")."""
    if not isinstance(data, dict):
        raise InputError("case", "must be a JSON object with 'person' and 'results'")
    unknown = set(data) - {"person", "results", "date"}
    if unknown:
        raise InputError(sorted(unknown)[0], "unknown field", "person, results, date")
    person = parse_person(data.get("person"), vocabulary)
    results, warnings = parse_results(data.get("results"), analytes)
    date = None
    if data.get("date") is not None:
        try:
            date = dt.date.fromisoformat(str(data["date"]))
        except ValueError:
            raise InputError("date", f"{data['date']!r} is not a date", "YYYY-MM-DD") from None
    return Case(person=person, results=results, date=date, warnings=tuple(warnings))
