"""A case: one person's context and lab results, parsed, validated and normalised.

Normalising puts every quantitative result into its canonical unit and checks it against the
catalogue's ranges: outside the hard range is an input error, outside the soft range a warning.

A quantitative result may be censored: below or above what the assay can measure, written
``<50``, ``< 50``, ``<=50``, ``≤50``, ``>1476``, ``≥1476`` (or a number with a separate
``comparator``). The Result keeps its comparator and the limit as its value; the pipeline
decides what the interval of possible values means (``cobalamin.pipeline.assess_censored``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from cobalamin.analytes import AnalyteCatalogue
from cobalamin.errors import InputError
from cobalamin.person import Person, parse_person
from cobalamin.units import to_canonical
from cobalamin.vocabulary import Vocabulary

__all__ = [
    "CENSORED_PATTERN",
    "COMPARATORS",
    "Case",
    "Comparator",
    "Result",
    "ValueWarning",
    "normalise_result",
    "parse_case",
    "split_censored",
]

Comparator = Literal["<", "<=", ">", ">="]
# every way a censored value is written -> its comparator ("=" in HL7 SN means exact)
COMPARATORS: dict[str, Comparator] = {
    "<": "<", "<=": "<=", "=<": "<=", "≤": "<=", ">": ">", ">=": ">=", "=>": ">=", "≥": ">=",
}  # fmt: skip
# A censored value: comparator, then a number (decimal point or comma). The batch reader
# applies this same pattern to text columns (group 1: comparator, group 2: number).
CENSORED_PATTERN = (
    r"^\s*(<=|>=|=<|=>|<|>|≤|≥)\s*([-+]?(?:\d+[.,]?\d*|[.,]\d+)(?:[eE][-+]?\d+)?)\s*$"
)
_CENSORED = re.compile(CENSORED_PATTERN)


@dataclass(frozen=True)
class ValueWarning:
    """A result that is plausible but outside the assay's measuring range."""

    test: str
    code: str
    text: str


@dataclass(frozen=True)
class Result:
    """One result in its canonical unit (quantitative) or as a word (qualitative).

    A censored result (``comparator`` set) holds its limit as ``value``: ``<50`` is any value
    below 50 (within the catalogue's hard range), ``<=50`` includes 50.
    """

    test: str
    value: float | str
    unit: str | None
    original_value: float | str
    original_unit: str | None
    comparator: Comparator | None = None

    def display(self) -> str:
        """The result as the laboratory wrote it: ``<50 pmol/L``, ``180 ng/L``, ``positive``."""
        value = self.original_value
        number = f"{value:g}" if isinstance(value, float) else str(value)
        unit = f" {self.original_unit}" if self.original_unit else ""
        return f"{self.comparator or ''}{number}{unit}"


@dataclass(frozen=True)
class Case:
    person: Person
    results: dict[str, Result]
    date: dt.date | None = None
    warnings: tuple[ValueWarning, ...] = field(default=())

    def value(self, test: str) -> float | str | None:
        found = self.results.get(test)
        return None if found is None else found.value

    @property
    def censored(self) -> tuple[str, ...]:
        """The tests whose result is censored (``<50``), in input order."""
        return tuple(t for t, r in self.results.items() if r.comparator is not None)


def split_censored(text: str) -> tuple[Comparator, str] | None:
    """``'<50'``, ``'< 50'``, ``'≥1476'`` as (comparator, number text); None when not censored."""
    match = _CENSORED.match(text)
    if match is None:
        return None
    return COMPARATORS[match[1]], match[2].replace(",", ".")


def _comparator(raw: Any, field_name: str) -> Comparator | None:
    if raw is None or raw == "=":
        return None
    if not isinstance(raw, str) or raw.strip() not in COMPARATORS:
        raise InputError(field_name, f"{raw!r} is not a comparator", "<, <=, >, >=, ≤, ≥")
    return COMPARATORS[raw.strip()]


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
    analytes: AnalyteCatalogue,
    test: str,
    raw_value: Any,
    unit: Any,
    where: str,
    comparator: Any = None,
) -> tuple[Result, list[ValueWarning]]:
    """Validate and convert one result. ``where`` prefixes field names in errors.

    ``raw_value`` may be censored text (``"<50"``), or a number with a ``comparator``.
    """
    item = analytes.analyte(test, field=f"{where}.test")
    given = _comparator(comparator, f"{where}.comparator")
    if isinstance(raw_value, str) and (censored := split_censored(raw_value)) is not None:
        if given is not None and given != censored[0]:
            raise InputError(
                f"{where}.comparator", f"{given} disagrees with the value {raw_value.strip()!r}"
            )
        given, raw_value = censored
    if item.kind == "qualitative" and given is not None:
        raise InputError(f"{where}.value", f"{test} is qualitative: a comparator makes no sense")
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
    if (given == "<" and canonical <= hard.low) or (given == ">" and canonical >= hard.high):
        raise InputError(
            f"{where}.value",
            f"no possible {test} result is {given}{_fmt(number)} {unit}",
            f"{_fmt(hard.low)} to {_fmt(hard.high)} {hard.unit}",
        )
    warnings: list[ValueWarning] = []
    soft = item.soft_range
    # a censored value's limit is the assay's own limit: no measuring-range warning
    if given is None and soft is not None and not soft.low <= canonical <= soft.high:
        warnings.append(
            ValueWarning(
                test,
                "outside_measuring_range",
                f"{test} {_fmt(number)} {unit} is outside the assay measuring range "
                f"{_fmt(soft.low)}-{_fmt(soft.high)} {soft.unit}; check the result and its unit",
            )
        )
    return Result(test, canonical, item.canonical_unit, number, unit.strip(), given), warnings


def parse_results(
    data: Any, analytes: AnalyteCatalogue, *, field_name: str = "results"
) -> tuple[dict[str, Result], list[ValueWarning]]:
    """Results from a JSON-like list of ``{test, value, unit}`` (optionally ``comparator``)."""
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
        unknown = set(entry) - {"test", "value", "unit", "comparator"}
        if unknown:
            raise InputError(
                f"{where}.{sorted(unknown)[0]}", "unknown field", "test, value, unit, comparator"
            )
        test = entry.get("test")
        if not isinstance(test, str):
            raise InputError(f"{where}.test", "a test id is required")
        if test in results:
            raise InputError(f"{where}.test", f"{test} is given twice in one case")
        if "value" not in entry:
            raise InputError(f"{where}.value", "a value is required")
        result, found = normalise_result(
            analytes, test, entry["value"], entry.get("unit"), where, entry.get("comparator")
        )
        results[test] = result
        warnings.extend(found)
    return results, warnings


def parse_case(data: Any, analytes: AnalyteCatalogue, vocabulary: Vocabulary) -> Case:
    """A validated, normalised Case from JSON-like data (the case contract; README, "Input and output")."""
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
