"""Parsing a case: every bad input is an InputError that names the field and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from cobalamin import InputError, parse_case


@pytest.mark.parametrize(
    ("data", "field", "says"),
    [
        (
            {"person": {"medications": ["aspirin"]}},
            "person.medications[0].id",
            "allowed: metformin",
        ),
        ({"person": {"symptoms": ["fatigue", "x"]}}, "person.symptoms[1]", "allowed: fatigue"),
        ({"person": {"age": -1}}, "person.age", "greater than or equal to 0"),
        ({"person": {"diet": "keto"}}, "person.diet", "vegan"),
        ({"person": {"foo": 1}}, "person.foo", "allowed: age"),
        ({"person": {"pregnant": False, "trimester": 2}}, "person", "pregnant is false"),
        (
            {"results": [{"test": "b12", "value": 1e9, "unit": "pmol/L"}]},
            "results[0].value",
            "not a possible b12",
        ),
        (
            {"results": [{"test": "b12", "value": -5, "unit": "pmol/L"}]},
            "results[0].value",
            "0 to 100000",
        ),
        (
            {"results": [{"test": "xx", "value": 5, "unit": "pmol/L"}]},
            "results[0].test",
            "allowed: b12",
        ),
        ({"results": [{"test": "b12", "value": 5, "unit": "furlong"}]}, "b12.unit", "unknown unit"),
        ({"results": [{"test": "b12", "value": 5}]}, "results[0].unit", "unit is required"),
        (
            {"results": [{"test": "b12", "value": True, "unit": "pmol/L"}]},
            "results[0].value",
            "must be a number",
        ),
        (
            {"results": [{"test": "b12", "value": "NaN", "unit": "pmol/L"}]},
            "results[0].value",
            "finite",
        ),
        ({"results": [{"test": "if_ab", "value": "maybe"}]}, "results[0].value", "positive"),
        (
            {"results": [{"test": "b12", "value": 1, "unit": "pmol/L"}] * 2},
            "results[1].test",
            "twice",
        ),
        ({"date": "yesterday"}, "date", "YYYY-MM-DD"),
        ([], "case", "JSON object"),
    ],
)
def test_bad_input(data: Any, field: str, says: str) -> None:
    with pytest.raises(InputError) as info:
        parse_case(data)
    assert info.value.field == field
    assert says in str(info.value)


def test_values_are_canonical_and_soft_range_warns() -> None:
    case = parse_case(
        {
            "results": [
                {"test": "mma", "value": 520, "unit": "nmol/L"},
                {"test": "holotc", "value": 200, "unit": "pmol/L"},
            ]
        }
    )
    assert case.value("mma") == pytest.approx(0.52)
    assert [w.test for w in case.warnings] == ["holotc"]


def test_errors_pickle() -> None:
    import pickle

    error = InputError("b12.unit", "unknown unit", "pmol/L")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.field, copy.message, copy.allowed) == ("b12.unit", "unknown unit", "pmol/L")
