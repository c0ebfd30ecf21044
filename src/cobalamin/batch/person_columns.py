"""Person columns of a lab file (age, sex, pregnancy, diet, lists, dates) as facts and checks.

Text columns hold few distinct values (``female``/``male``, a handful of diets, dates), so each
distinct text of a streamed batch is parsed once, in Python, and the batch is mapped through
the result; a batch whose texts are already in their normal form passes through untouched.
That is several times cheaper than lowercasing, trimming and splitting every row, and there is
one parser per column, not one in Python and another in dataframe expressions.

A column's parsed form is a struct ``{value, reason}``: the fact (missing text gives the
column's default), and why the text is not allowed (null when it is).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl

from cobalamin.batch.compile import encode_set
from cobalamin.errors import InputError
from cobalamin.vocabulary import Vocabulary

__all__ = [
    "PERSON_COLUMNS",
    "Check",
    "PersonColumns",
    "not_number",
    "number",
    "person_columns",
    "text",
]

PERSON_COLUMNS = (
    "age",
    "sex",
    "pregnant",
    "trimester",
    "lactating",
    "wish_to_conceive",
    "diet",
    "conditions",
    "medications",
    "symptoms",
)
_TRUE = ("true", "1", "yes", "y", "t", "ja", "j")
_FALSE = ("false", "0", "no", "n", "f", "nee")
_SEPARATORS = re.compile(r"[;,|]")

Check = tuple[str, pl.Expr, pl.Expr]  # (field, is-bad, reason), read on the parsed frame
Parsed = tuple[Any, str | None]  # (value, reason it is not allowed)


def text(name: str) -> pl.Expr:
    """A column as trimmed text; empty text is missing."""
    trimmed = pl.col(name).cast(pl.String).str.strip_chars()
    return pl.when(trimmed == "").then(None).otherwise(trimmed)


def _word(vocabulary: Vocabulary, list_name: str) -> Callable[[str], Parsed]:
    allowed = tuple(vocabulary.terms(list_name))
    listing = ", ".join(allowed)

    def parse(raw: str) -> Parsed:
        word = raw.strip().lower()
        if not word:
            return None, None
        if word not in allowed:
            return word, f"unknown {list_name} {word} (allowed: {listing})"
        return word, None

    return parse


def _coded(vocabulary: Vocabulary, list_name: str) -> Callable[[str], Parsed]:
    """A word by the vocabulary's spellings (``V``, ``vrouw``, ``F``: female; ``U``: not known)."""

    def parse(raw: str) -> Parsed:
        try:
            return vocabulary.resolve(list_name, raw, list_name), None
        except InputError as exc:
            return None, f"{exc.message} (allowed: {exc.allowed})"

    return parse


def _flag(raw: str) -> Parsed:
    word = raw.strip().lower()
    if not word or word in _FALSE:
        return False, None
    if word in _TRUE:
        return True, None
    return False, "must be true or false"


def _trimester(raw: str) -> Parsed:
    word = raw.strip().removesuffix(".0")
    if not word:
        return None, None
    return (word, None) if word in ("1", "2", "3") else (word, "must be 1, 2 or 3")


def _date(raw: str) -> Parsed:
    word = raw.strip()
    if not word:
        return None, None
    try:
        return dt.datetime.strptime(word, "%Y-%m-%d").date(), None
    except ValueError:
        return None, "must be a date (YYYY-MM-DD)"


def _items(vocabulary: Vocabulary, list_name: str) -> Callable[[str], Parsed]:
    """A list (``a;b``, ``a,b`` or ``a|b``) as a set; medications may carry ``:months``."""
    allowed = frozenset(vocabulary.terms(list_name))

    def parse(raw: str) -> Parsed:
        items = [item.strip().lower() for item in _SEPARATORS.split(raw)]
        items = [item for item in items if item]
        if list_name == "medications":  # "metformin:24" (months of use) -> metformin
            items = [re.sub(r":.*$", "", item) for item in items]
        unknown = [item for item in items if item not in allowed]
        if unknown:
            return None, f"unknown {list_name} id {unknown[0]}"
        return encode_set(items), None

    return parse


@dataclass(frozen=True)
class _Column:
    parse: Callable[[str], Parsed]
    dtype: pl.DataType
    missing: Any  # the value of an empty cell


def _columns(vocabulary: Vocabulary) -> dict[str, _Column]:
    """Every text person column and how to read it."""
    return {
        "sex": _Column(_coded(vocabulary, "sex"), pl.String(), None),
        "diet": _Column(_word(vocabulary, "diet"), pl.String(), None),
        "pregnant": _Column(_flag, pl.Boolean(), False),
        "lactating": _Column(_flag, pl.Boolean(), False),
        "wish_to_conceive": _Column(_flag, pl.Boolean(), False),
        "trimester": _Column(_trimester, pl.String(), None),
        "date": _Column(_date, pl.Date(), None),
        "last_b12_injection": _Column(_date, pl.Date(), None),
        "conditions": _Column(_items(vocabulary, "conditions"), pl.String(), encode_set(())),
        "medications": _Column(_items(vocabulary, "medications"), pl.String(), encode_set(())),
        "symptoms": _Column(_items(vocabulary, "symptoms"), pl.String(), encode_set(())),
    }


def _parser(column: _Column) -> Callable[[pl.Series], pl.Series]:
    kind = pl.Struct({"value": column.dtype, "reason": pl.String()})

    def parse_batch(series: pl.Series) -> pl.Series:
        texts = series.unique().drop_nulls().to_list()
        if not texts:
            empty = pl.repeat(column.missing, len(series), dtype=column.dtype, eager=True)
            none = pl.repeat(None, len(series), dtype=pl.String, eager=True)
            return pl.struct(empty.alias("value"), none.alias("reason"), eager=True).cast(kind)
        parsed = [column.parse(raw) for raw in texts]
        values = [value for value, _ in parsed]
        if column.dtype == pl.String() and values == texts:
            value = series  # already in normal form: no copy
        else:
            value = series.replace_strict(
                texts, pl.Series(values, dtype=column.dtype), default=None
            )
        if column.missing is not None:
            value = value.fill_null(column.missing)
        bad = [(raw, reason) for raw, (_, reason) in zip(texts, parsed, strict=True) if reason]
        if bad:
            reason = series.replace_strict(
                [raw for raw, _ in bad], [why for _, why in bad], default=None
            )
        else:
            reason = pl.repeat(None, len(series), dtype=pl.String, eager=True)
        return pl.struct(value.alias("value"), reason.alias("reason"), eager=True).cast(kind)

    return parse_batch


@dataclass(frozen=True)
class PersonColumns:
    """``parsed`` adds one struct column per text column; ``facts`` and ``checks`` read them."""

    parsed: dict[str, pl.Expr]
    facts: dict[str, pl.Expr]
    checks: list[Check]


def _parsed_name(name: str) -> str:
    return f"_parsed_{name}"


def number(name: str, schema: pl.Schema) -> pl.Expr:
    """A numeric column, or a text column read as a number (decimal comma allowed)."""
    if schema[name].is_numeric():
        return pl.col(name).cast(pl.Float64)
    return text(name).str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)


def not_number(name: str, schema: pl.Schema) -> pl.Expr:
    """True where a value is given but is not a finite number."""
    value = number(name, schema)
    given = pl.col(name).is_not_null() if schema[name].is_numeric() else text(name).is_not_null()
    return given & (value.is_null() | ~value.is_finite())


def _consistency(schema: pl.Schema, facts: dict[str, pl.Expr]) -> list[Check]:
    """As ``Person``: no trimester unless pregnant, and not pregnant and male."""
    checks: list[Check] = []
    pregnant = facts.get("pregnant", pl.lit(False))
    if "trimester" in schema:
        not_pregnant = facts["trimester"].is_not_null() & ~pregnant
        checks.append(("trimester", not_pregnant, pl.lit("given but pregnant is false")))
    if "sex" in schema and "pregnant" in facts:
        male = (facts["pregnant"] & (facts["sex"] == "male")).fill_null(False)
        checks.append(("pregnant", male, pl.lit("pregnant is true but sex is male")))
    return checks


def person_columns(schema: pl.Schema, vocabulary: Vocabulary) -> PersonColumns:
    """Facts and checks ``(field, is-bad, reason)`` of the person columns ``schema`` has."""
    parsed: dict[str, pl.Expr] = {}
    facts: dict[str, pl.Expr] = {}
    checks: list[Check] = []
    if "age" in schema:
        age = number("age", schema)
        facts["age"] = age
        checks.append(("age", not_number("age", schema), pl.lit("must be a number (years)")))
        checks.append(("age", (age < 0) | (age > 125), pl.lit("must be between 0 and 125")))
    for name, column in _columns(vocabulary).items():
        if name not in schema:
            pass  # a fact the file does not give: the same on every row (``complete_facts``)
        elif column.dtype == pl.Boolean() and schema[name] == pl.Boolean:
            facts[name] = pl.col(name).fill_null(False)
        else:
            kind = pl.Struct({"value": column.dtype, "reason": pl.String()})
            parsed[_parsed_name(name)] = (
                pl.col(name)
                .cast(pl.String)
                .map_batches(_parser(column), return_dtype=kind, is_elementwise=True)
            )
            facts[name] = pl.col(_parsed_name(name)).struct.field("value")
            reason = pl.col(_parsed_name(name)).struct.field("reason")
            checks.append((name, reason.is_not_null(), reason))
        if name == "trimester":  # the person's own consistency rules, after its fields
            checks += _consistency(schema, facts)
    if "date" in facts and "last_b12_injection" in facts:
        # as engine.case_facts: missing unless the injection is not after the sample
        days = (facts["date"] - facts["last_b12_injection"]).dt.total_days().cast(pl.Float64)
        facts["days_since_b12_injection"] = pl.when(days >= 0).then(days)
    facts.pop("date", None)
    facts.pop("last_b12_injection", None)
    return PersonColumns(parsed, facts, checks)
