"""The lab commands through typer's CliRunner on an app built here."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import typer
from typer.testing import CliRunner

from cobalamin.cli.lab import register

DATA = Path(__file__).parents[1] / "data"


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def test_batch_prints_counts(tmp_path: Path) -> None:
    source = tmp_path / "day.csv"
    pl.DataFrame({
        "sample_id": ["A", "A", "B", None],
        "test": ["b12", "mma", "b12", "b12"],
        "value": ["180", "0.5", "zz", "200"],
        "unit": ["pmol/L", "umol/L", "pmol/L", "pmol/L"],
    }).write_csv(source)  # fmt: skip
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(
        _app(), ["batch", str(source), "--pack", "gelderse-vallei", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "rows in: 4, rows ok: 2, rows with errors: 2" in result.output
    assert pl.read_csv(out)["deficiency"].to_list() == ["likely"]


def test_batch_bad_engine_and_missing_file_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(
        _app(), ["batch", str(tmp_path / "no.csv"), "--pack", "gelderse-vallei", "--out", "o.csv"]
    )
    assert missing.exit_code == 2 and "does not exist" in missing.output
    engine = runner.invoke(
        _app(),
        ["batch", str(DATA / "oru_r01.hl7"), "--pack", "gelderse-vallei", "--out", "o.csv",
         "--engine", "excel"],
    )  # fmt: skip
    assert engine.exit_code == 2 and "unknown engine" in engine.output


def test_hl7_command(tmp_path: Path) -> None:
    out = tmp_path / "out.hl7"
    result = CliRunner().invoke(
        _app(), ["hl7", str(DATA / "oru_r01.hl7"), "--pack", "gelderse-vallei", "--out", str(out)]
    )
    assert result.exit_code == 0
    assert "messages read: 3, interpreted: 2, with errors: 1" in result.output
    assert "OBX[1]-5" in result.output


def test_trend_command(tmp_path: Path) -> None:
    source = tmp_path / "trend.csv"
    source.write_text(
        "patient_id,date,test,value,unit\nP1,2026-01-01,b12,150,pmol/L\nP1,2026-03-01,b12,300,ng/L\n"
    )
    out = tmp_path / "trend_out.csv"
    result = CliRunner().invoke(_app(), ["trend", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert pl.read_csv(out)["direction"].to_list() == ["first", "up"]
