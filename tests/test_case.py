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
        (
            {"results": [{"test": "if_ab", "value": "positive", "comparator": "<"}]},
            "results[0].value",
            "qualitative",
        ),
        (
            {"results": [{"test": "b12", "value": 50, "comparator": "~", "unit": "pmol/L"}]},
            "results[0].comparator",
            "allowed: <, <=",
        ),
        (
            {"results": [{"test": "b12", "value": ">50", "comparator": "<", "unit": "pmol/L"}]},
            "results[0].comparator",
            "disagrees",
        ),
        (
            {"results": [{"test": "b12", "value": "<0", "unit": "pmol/L"}]},
            "results[0].value",
            "no possible b12 result is <0",
        ),
        (
            {"results": [{"test": "b12", "value": "<<50", "unit": "pmol/L"}]},
            "results[0].value",
            "must be a number",
        ),
        ({"person": {"sex": "zz"}}, "person.sex", "female (F, V"),
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


@pytest.mark.parametrize(
    ("value", "comparator", "limit"),
    [
        ("<50", "<", 50.0),
        ("< 50", "<", 50.0),
        ("<=50", "<=", 50.0),
        ("≤50", "<=", 50.0),
        (">1476", ">", 1476.0),
        ("≥ 1476", ">=", 1476.0),
        (">=1476", ">=", 1476.0),
        ("<50,5", "<", 50.5),
    ],
)
def test_censored_values_keep_their_comparator(value: str, comparator: str, limit: float) -> None:
    result = parse_case({"results": [{"test": "b12", "value": value, "unit": "pmol/L"}]}).results
    assert (result["b12"].comparator, result["b12"].value) == (comparator, limit)


def test_comparator_field_and_unit_conversion() -> None:
    case = parse_case(
        {"results": [{"test": "b12", "value": 50, "comparator": "<", "unit": "ng/L"}]}
    )
    assert case.censored == ("b12",)
    assert case.results["b12"].value == pytest.approx(50 / 1.35537, rel=1e-4)
    assert case.results["b12"].display() == "<50 ng/L"
    plain = parse_case({"results": [{"test": "b12", "value": "180", "unit": "pmol/L"}]})
    assert plain.censored == () and plain.results["b12"].comparator is None


def test_a_censored_value_at_the_measuring_limit_gives_no_range_warning() -> None:
    """holoTC's soft range is the assay's measuring interval: >146 is what the assay says."""
    case = parse_case({"results": [{"test": "holotc", "value": ">146", "unit": "pmol/L"}]})
    assert case.warnings == ()


@pytest.mark.parametrize(
    ("code", "sex"),
    [("V", "female"), ("vrouw", "female"), ("F", "female"), (" Female ", "female"),
     ("M", "male"), ("man", "male"), ("U", None), ("O", None), ("onbekend", None)],
)  # fmt: skip
def test_sex_codes_from_the_vocabulary(code: str, sex: str | None) -> None:
    assert parse_case({"person": {"sex": code}}).person.sex == sex
