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


def test_a_dutch_excel_export_just_works(tmp_path: Path) -> None:
    """Semicolons, decimal commas, a BOM, CRLF, Windows-1252 (µ), V/M and a censored value."""
    source = tmp_path / "export.csv"
    lines = ["sample_id;test;value;unit;geslacht;sex", "A;b12;<50;pmol/L;;V", "A;mma;0,52;µmol/L;;V",
             "B;b12;180;pmol/L;;M"]  # fmt: skip
    source.write_bytes("\r\n".join(lines).encode("cp1252"))
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(
        _app(), ["batch", str(source), "--pack", "gelderse-vallei", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "rows in: 3, rows ok: 3, rows with errors: 0" in result.output
    assert "semicolon-separated, windows-1252" in result.output
    frame = pl.read_csv(out)
    assert frame["deficiency"].to_list() == ["likely", "indeterminate"]
    assert frame["censored"].to_list() == ["b12", ""]


def test_output_format_follows_the_extension(tmp_path: Path) -> None:
    source = tmp_path / "day.csv"
    source.write_text("sample_id,b12\nA,100\nB,300\n")
    refused = CliRunner().invoke(
        _app(),
        ["batch", str(source), "--pack", "gelderse-vallei", "--out", str(tmp_path / "o.txt")],
    )
    assert refused.exit_code == 2
    assert "--out" in refused.output and ".xlsx" in refused.output and ".jsonl" in refused.output
    assert not (tmp_path / "o.txt").exists()
    for name in ("o.xlsx", "o.jsonl"):
        done = CliRunner().invoke(
            _app(),
            ["batch", str(source), "--pack", "gelderse-vallei", "--out", str(tmp_path / name)],
        )
        assert done.exit_code == 0, done.output
    workbook = pl.read_excel(tmp_path / "o.xlsx", engine="openpyxl")
    assert workbook["deficiency"].to_list() == ["likely", "unlikely"]
    assert (tmp_path / "o.xlsx").read_bytes()[:2] == b"PK"  # a real workbook, not CSV
    lines = pl.read_ndjson(tmp_path / "o.jsonl")
    assert lines["sample_id"].to_list() == ["A", "B"]


def test_local_codes_with_batch_and_hl7(tmp_path: Path) -> None:
    codes = tmp_path / "codes.csv"
    codes.write_text("code;test;unit\nVITB12;b12;pmol/L\n")
    source = tmp_path / "day.csv"
    source.write_text("sample_id,test,value\nA,VITB12,120\n")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(
        _app(), ["batch", str(source), "--pack", "gelderse-vallei", "--out", str(out),
                 "--codes", str(codes)]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert pl.read_csv(out)["deficiency"].to_list() == ["likely"]
    message = tmp_path / "in.hl7"
    message.write_text(
        "MSH|^~\\&|LIS|LAB|EPD|GV|20261120083000||ORU^R01|L1|P|2.5\n"
        "PID|1||1^^^GV^MR||Doe^J||19800415|V\n"
        "OBX|1|NM|VITB12^Vitamine B12^L||120||||||F\n"
    )
    acks = tmp_path / "acks.hl7"
    result = CliRunner().invoke(
        _app(), ["hl7", str(message), "--pack", "gelderse-vallei", "--out", str(tmp_path / "o.hl7"),
                 "--codes", str(codes), "--ack", str(acks), "--lang", "nl"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "MSA|AA|L1" in acks.read_text()
    assert "waarschijnlijk" in (tmp_path / "o.hl7").read_text()
