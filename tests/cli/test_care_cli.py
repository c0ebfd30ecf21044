"""``screen``, ``plan``, ``follow-up`` and ``workup`` through typer's CliRunner."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path

import pytest
import typer
from icalendar import Calendar
from typer.testing import CliRunner

from cobalamin.cli.care import register


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer(pretty_exceptions_enable=False)
    register(application)
    return application


runner = CliRunner()


def test_screen_shows_where_nice_and_nhg_disagree_with_sources(app: typer.Typer) -> None:
    result = runner.invoke(app, ["screen", "--medication", "metformin:24", "--symptom", "fatigue"])
    assert result.exit_code == 0, result.output
    out = result.output
    nice = out[out.index("nice-ng239:") : out.index("nhg-anemie:")]
    nhg = out[out.index("nhg-anemie:") :].split("\n\n")[0]
    assert "test now: yes" in nice and "BMJ 2024;385:q1019" in nice
    assert "test now: no" in nhg and "(LESA)" in nhg
    assert "Where the guidelines disagree" in out


def test_screen_json_side_by_side(app: typer.Typer) -> None:
    result = runner.invoke(
        app,
        [
            "screen",
            "--medication",
            "ppi",
            "--symptom",
            "fatigue",
            "-p",
            "nice-ng239",
            "-p",
            "nhg-anemie",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = {r["pack"]: r for r in json.loads(result.output)["screening"]}
    assert rows["nice-ng239"]["test_now"] == "yes"
    assert rows["nhg-anemie"]["test_now"] == "no"
    assert rows["nice-ng239"]["source"] and rows["nhg-anemie"]["source"]


def test_screen_reads_a_person_file_and_shows_alerts(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "person.json"
    path.write_text(json.dumps({"person": {"sex": "female", "lactating": True, "diet": "vegan"}}))
    result = runner.invoke(app, ["screen", str(path), "--lang", "nl"])
    assert result.exit_code == 0, result.output
    assert "vegan_mother_infant" in result.output
    assert "zuigeling" in result.output


def test_screen_unknown_medication_exit_2_lists_allowed(app: typer.Typer) -> None:
    result = runner.invoke(app, ["screen", "--medication", "aspirin"])
    assert result.exit_code == 2
    assert "aspirin" in result.output and "metformin" in result.output
    assert "Traceback" not in result.output


def test_screen_unknown_pack_exit_2(app: typer.Typer) -> None:
    result = runner.invoke(app, ["screen", "-p", "who"])
    assert result.exit_code == 2
    assert "nice-ng239" in result.output


def test_plan_dutch_scheme_text_json_and_ics_agree(app: typer.Typer, tmp_path: Path) -> None:
    args = ["plan", "--regimen", "nhg-im-hydroxo", "--start", "2026-01-05"]
    text = runner.invoke(app, args)
    assert text.exit_code == 0, text.output
    assert text.output.count("loading ") == 10
    data = json.loads(runner.invoke(app, [*args, "--format", "json"]).output)
    loading = [dt.date.fromisoformat(d["date"]) for d in data["doses"] if d["phase"] == "loading"]
    maintenance = [d["date"] for d in data["doses"] if d["phase"] == "maintenance"]
    assert len(loading) == 10
    assert all((b - a).days >= 3 for a, b in itertools.pairwise(loading))
    assert maintenance[:3] == ["2026-04-01", "2026-06-01", "2026-08-01"]
    ics = tmp_path / "plan.ics"
    written = runner.invoke(app, [*args, "--format", "ics", "--output", str(ics)])
    assert written.exit_code == 0, written.output
    calendar = Calendar.from_ical(ics.read_bytes())
    dates = [
        e.decoded("dtstart").isoformat()
        for e in calendar.walk("VEVENT")
        if "-dose-" in str(e.get("uid"))
    ]
    assert dates == [d["date"] for d in data["doses"]]


def test_plan_ics_on_stdout_parses(app: typer.Typer) -> None:
    result = runner.invoke(
        app, ["plan", "-r", "nice-im", "--start", "2026-01-05", "--skip-weekends", "-f", "ics"]
    )
    assert result.exit_code == 0
    calendar = Calendar.from_ical(result.stdout_bytes)
    assert all(
        e.decoded("dtstart").weekday() < 5
        for e in calendar.walk("VEVENT")
        if "-dose-" in str(e.get("uid"))
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["plan", "--regimen", "nhg-im-hydroxo", "--start", "next monday"], "YYYY-MM-DD"),
        (["plan", "--regimen", "dutch", "--start", "2026-01-05"], "nhg-im-hydroxo"),
        (["plan", "--regimen", "nice-im-neuro", "--start", "2026-01-05"], "loading_doses"),
        (
            ["follow-up", "--pack", "nice-ng239", "--start", "2026-01-05", "--response", "ok"],
            "not_improved",
        ),
        (["follow-up", "--start", "2026-01-05"], "nice-ng239"),
        (["follow-up", "--regimen", "x", "--start", "2026-01-05"], "oral-1mg"),
    ],
)
def test_bad_input_exit_2_with_what_is_allowed(
    app: typer.Typer, args: list[str], expected: str
) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Traceback" not in result.output


def test_follow_up_from_a_regimen(app: typer.Typer) -> None:
    result = runner.invoke(
        app,
        [
            "follow-up",
            "--regimen",
            "oral-1mg",
            "--start",
            "2026-01-05",
            "--response",
            "not_improved",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["pack"] == "nhg-anemie" and data["route"] == "oral"
    assert [r["date"] for r in data["reviews"]] == ["2026-02-02", "2026-03-02"]
    assert data["advice"][0]["rule"] == "nhg_oral_not_improved"


def test_follow_up_text(app: typer.Typer) -> None:
    result = runner.invoke(
        app, ["follow-up", "-p", "nice-ng239", "--start", "2026-01-05", "--lactating"]
    )
    assert result.exit_code == 0, result.output
    assert "2026-02-05" in result.output and "source:" in result.output


def test_workup_command(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(
        json.dumps(
            {"person": {"age": 70}, "results": [{"test": "b12", "value": 90, "unit": "pmol/L"}]}
        )
    )
    result = runner.invoke(app, ["workup", str(path), "--pack", "gelderse-vallei"])
    assert result.exit_code == 0, result.output
    assert "deficiency: likely" in result.output
    assert "next test: intrinsic factor antibodies" in result.output
