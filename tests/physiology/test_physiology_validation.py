"""The validation report: every point of physiology.md s4 is listed; passing points stay passing.

PASSING is the baseline: if a change makes one of these points fail, this test fails. When a
change makes a failing point pass, add it here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cobalamin.physiology.validation import ValidationPoint, report_markdown, validate

PASSING = {
    "1-1ug",
    "1-5ug",
    "1-10ug",
    "1-25ug",
    "1-50ug",
    "1-500ug",
    "1-1000ug",
    "2",
    "5",
    "7",
    "8",
    "9",
    "10",
    "11-normal",
    "11-pa",
    "13a",
    "13c",
    "16",
    "20",
    "23b",
    "24a",
    "24b",
    "25",
    "26",
}
KNOWN_FAILING = {"3", "4", "6", "13b", "17", "19", "23a", "23c", "30"}
NOT_EVALUATED = {"14", "27", "29"}
# every numbered point of physiology.md s4
POINTS_IN_NOTES = {
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
    13,
    14,
    16,
    17,
    19,
    20,
    23,
    24,
    25,
    26,
    27,
    29,
    30,
}


@pytest.fixture(scope="module")
def points() -> list[ValidationPoint]:
    return validate()


def test_passing_points_still_pass(points: list[ValidationPoint]) -> None:
    status = {p.id: p.status for p in points}
    regressed = {pid for pid in PASSING if status.get(pid) != "pass"}
    assert not regressed, f"validation points that passed now fail: {sorted(regressed)}"


def test_every_point_is_accounted_for(points: list[ValidationPoint]) -> None:
    ids = {p.id for p in points}
    assert ids == PASSING | KNOWN_FAILING | NOT_EVALUATED
    numbers = {int(p.id.split("-")[0].rstrip("abc")) for p in points}
    assert numbers == POINTS_IN_NOTES


def test_known_failures_are_still_reported_as_failures(points: list[ValidationPoint]) -> None:
    # a newly passing point is good news: move it to PASSING so that it is protected
    status = {p.id: p.status for p in points}
    assert {pid for pid in KNOWN_FAILING if status[pid] == "pass"} == set()
    assert {pid for pid in NOT_EVALUATED if status[pid] != "not evaluated"} == set()


def test_report_lists_every_point(points: list[ValidationPoint]) -> None:
    report = report_markdown(points)
    for p in points:
        assert f"| {p.id} |" in report
    assert f"**{len(PASSING)} pass, {len(KNOWN_FAILING)} fail, {len(NOT_EVALUATED)} not" in report


def test_docs_report_is_up_to_date(points: list[ValidationPoint]) -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "model-validation.md"
    assert docs.read_text(encoding="utf-8") == report_markdown(points), (
        "regenerate with: cobalamin validate-model --write docs/model-validation.md"
    )
