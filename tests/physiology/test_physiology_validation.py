"""The validation report: every point of physiology.md s4 is listed; passing points stay passing.

PASSING is the baseline: if a change makes one of these points fail, this test fails. When a
change makes a failing point pass, add it here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cobalamin import default_knowledge
from cobalamin.physiology.validation import ValidationPoint, report_markdown, validate

PASSING = {
    "1-1ug",
    "1-5ug",
    "1-25ug",
    "2",
    "3",
    "4",
    "5",
    "6",
    "7",
    "8",
    "9",
    "10",
    "11-normal",
    "11-pa",
    "13a",
    "13b",
    "13c",
    "16",
    "17",
    "19a",
    "19b",
    "20",
    "23a",
    "23b",
    "23c",
    "24a",
    "24b",
    "24c",
    "25",
    "26",
    "30",
    "31",
    "32",
    "33",
}
KNOWN_FAILING: set[str] = set()
NOT_EVALUATED = {"14", "27", "29"}
# every numbered point of the validation list (physiology notes s4), plus 31-33 added with
# issue 15 (long-term vegans, metformin, total gastrectomy)
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
    31,
    32,
    33,
}


@pytest.fixture(scope="module")
def points() -> list[ValidationPoint]:
    return validate(default_knowledge())


def test_passing_points_still_pass(points: list[ValidationPoint]) -> None:
    status = {p.id: p.status for p in points}
    regressed = {pid for pid in PASSING if status.get(pid) != "pass"}
    assert not regressed, f"validation points that passed now fail: {sorted(regressed)}"


def test_every_point_is_accounted_for(points: list[ValidationPoint]) -> None:
    ids = {p.id for p in points}
    assert ids == PASSING | KNOWN_FAILING | NOT_EVALUATED
    numbers = {int(p.id.split("-")[0].rstrip("abcd")) for p in points}
    assert numbers == POINTS_IN_NOTES


def test_known_failures_are_still_reported_as_failures(points: list[ValidationPoint]) -> None:
    # a newly passing point is good news: move it to PASSING so that it is protected
    status = {p.id: p.status for p in points}
    assert {pid for pid in KNOWN_FAILING if status[pid] == "pass"} == set()
    assert {pid for pid in NOT_EVALUATED if status[pid] != "not evaluated"} == set()


def test_report_lists_every_point(points: list[ValidationPoint]) -> None:
    report = report_markdown(points, default_knowledge())
    for p in points:
        assert f"| {p.id} |" in report
    n_val = sum(p.kind == "validation" and p.passed is not None for p in points)
    n_cal = sum(p.kind == "calibration" for p in points)
    assert n_val + n_cal + len(NOT_EVALUATED) == len(points)
    assert "## Validation points" in report and "## Calibration points" in report


def test_every_point_names_its_source(points: list[ValidationPoint]) -> None:
    for p in points:
        assert p.source and p.source != "-", p.id
        assert "physiology.md" not in p.source and "notes" not in p.source, p.id


def test_calibration_points_are_those_behind_calibrated_parameters(
    points: list[ValidationPoint],
) -> None:
    kinds = {p.id: p.kind for p in points}
    for pid in ("1-1ug", "4", "8", "10", "20", "23c", "24a", "24b", "31", "32"):
        assert kinds[pid] == "calibration", pid
    for pid in ("2", "9", "17", "19a", "19b", "23a", "30", "33"):
        assert kinds[pid] == "validation", pid


def test_docs_report_is_up_to_date(points: list[ValidationPoint]) -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "model-validation.md"
    assert docs.read_text(encoding="utf-8") == report_markdown(points, default_knowledge()), (
        "regenerate with: cobalamin validate-model --write docs/model-validation.md"
    )


def test_points_cite_bibliography_ids(points: list[ValidationPoint]) -> None:
    bibliography = default_knowledge().sources
    for p in points:
        assert all(i in bibliography for i in p.source_ids), p.id
    # every point's observation has a bibliography entry
    assert all(p.source_ids for p in points)


def test_unidentified_compilation_is_left_out(points: list[ValidationPoint]) -> None:
    ids = {p.id for p in points}
    assert not ids & {"1-10ug", "1-50ug", "1-500ug", "1-1000ug"}
    assert {"1-1ug", "1-5ug", "1-25ug"} <= ids
    report = report_markdown(points, default_knowledge())
    assert "- **left out**: a secondary dose-fraction compilation" in report
    assert "could not be identified" in report
    assert "not identified]" not in report  # no point without a bibliography id
