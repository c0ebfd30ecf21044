"""``intake``, ``simulate`` and ``validate-model`` on the command line: output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from cobalamin import default_knowledge
from cobalamin.cli.body import register


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    application = typer.Typer()
    register(application)
    return application


def _run(app: typer.Typer, args: list[str], data: Any = None) -> Any:
    stdin = None if data is None else (data if isinstance(data, str) else json.dumps(data))
    return CliRunner().invoke(app, args, input=stdin)


DIARY = {
    "person": {"age": 40, "diet": "omnivore"},
    "meals": [
        {"time": "08:00", "items": [{"food": "melk", "amount_g": 300}]},
        {"time": "18:30", "items": [{"b12_ug": 1.0, "form": "crystalline"}]},
    ],
}


def test_intake_json(app: typer.Typer) -> None:
    res = _run(app, ["intake", "--format", "json"], DIARY)
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["ingested_ug"] == pytest.approx(2.4)
    assert [m["time"] for m in out["meals"]] == ["08:00", "18:30"]
    assert out["reference"]["authority"] == "efsa_2015"


def test_intake_text_dutch(app: typer.Typer) -> None:
    res = _run(app, ["intake", "--lang", "nl", "--authority", "gr_2003"], DIARY)
    assert res.exit_code == 0, res.output
    assert "Opgenomen" in res.output and "2,8 µg" in res.output
    assert "huisarts" in res.output


def test_intake_from_file(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "diary.json"
    path.write_text(json.dumps(DIARY), encoding="utf-8")
    assert _run(app, ["intake", str(path)]).exit_code == 0


def test_food_search(app: typer.Typer) -> None:
    res = _run(app, ["intake", "--search", "kaas", "--format", "json"])
    assert res.exit_code == 0
    assert json.loads(res.output)[0]["id"] == "gouda_cheese"
    assert _run(app, ["intake", "--foods"]).exit_code == 0
    assert "efsa_2015" in _run(app, ["intake", "--authorities"]).output


def test_simulate_json_and_plot(app: typer.Typer, tmp_path: Path) -> None:
    # a low usual intake before the diagnosis, so that serum B12 falls below 148 pmol/L
    # within the 900 days (issue 15: serum lags the stores as haptocorrin saturates)
    scenario = {
        "person": {"conditions": ["pernicious_anaemia"]},
        "intake": {"food_ug_per_day": 5},
        "initial": {"usual_food_ug_per_day": 1},
        "days": 900,
    }
    plot = tmp_path / "out.svg"
    res = _run(app, ["simulate", "--format", "json", "--plot", str(plot)], scenario)
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert isinstance(out["days_to_deficiency"], int)
    assert len(out["serum_b12_pmol_l"]) == 901
    assert plot.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    assert out["start"]["mode"] == "switch_today"


def test_simulate_text_repeats_the_start_and_dutch_plot(app: typer.Typer, tmp_path: Path) -> None:
    plot = tmp_path / "uit.svg"
    res = _run(
        app,
        ["simulate", "--lang", "nl", "--plot", str(plot)],
        {"person": {"diet": "vegan"}, "injections": [{"day": 3, "dose_ug": 1000}], "days": 30},
    )
    assert res.exit_code == 0, res.output
    assert "verandert vandaag" in res.output and "grafiek geschreven" in res.output
    svg = plot.read_text(encoding="utf-8")
    assert "homocysteïne (µmol/L)" in svg and "injectie" in svg


def test_validate_model_strict_exit_code(app: typer.Typer) -> None:
    from cobalamin.physiology.validation import validate

    failing = any(p.passed is False for p in validate(default_knowledge()))
    res = _run(app, ["validate-model", "--strict"])
    assert res.exit_code == (1 if failing else 0)


def test_simulate_text_and_population(app: typer.Typer) -> None:
    res = _run(
        app, ["simulate"], {"intake": {"food_ug_per_day": 1}, "days": 20, "population": {"n": 50}}
    )
    assert res.exit_code == 0, res.output
    assert "50 people" in res.output


@pytest.mark.parametrize(
    ("scenario", "field"),
    [
        ({"supplements": [{"dose_ug": -1000}], "days": 30}, "supplements[0].dose_ug"),
        ({"person": {"conditions": ["not_a_condition"]}, "days": 30}, "person.conditions[0]"),
        ({"days": 0}, "days"),
        ({"days": 99_999_999}, "days"),
    ],
)
def test_bad_scenarios_exit_2(app: typer.Typer, scenario: dict[str, Any], field: str) -> None:
    res = _run(app, ["simulate"], scenario)
    assert res.exit_code == 2
    assert f"error: {field}:" in res.output
    assert "Traceback" not in res.output


def test_bad_json_and_plot_type_exit_2(app: typer.Typer) -> None:
    assert _run(app, ["simulate"], "{not json").exit_code == 2
    res = _run(app, ["simulate", "--plot", "out.gif"], {"days": 5})
    assert res.exit_code == 2 and "--plot" in res.output
    assert _run(app, ["intake"], {"meals": []}).exit_code == 2


def test_validate_model(app: typer.Typer, tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    res = _run(app, ["validate-model", "--write", str(target)])
    assert res.exit_code == 0
    assert "| 1-1ug |" in res.output
    assert target.read_text(encoding="utf-8") == res.output
    res = _run(app, ["validate-model", "--format", "json"])
    points = json.loads(res.output)
    assert {p["status"] for p in points} <= {"pass", "fail", "not evaluated"}
