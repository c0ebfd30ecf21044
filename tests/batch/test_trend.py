"""``cobalamin trend``: every row accounted for, values rounded with their unit, changes tested
against a reference change value from a cited biological-variation source."""

from __future__ import annotations

import csv
import math
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cobalamin import default_knowledge
from cobalamin.batch.trend import write_trend
from cobalamin.errors import InputError
from cobalamin.knowledge.local_codes import LocalCodes

HEADER = "patient_id,date,test,value,unit"


def _trend(
    tmp_path: Path, lines: list[str], **options: object
) -> tuple[pl.DataFrame, pl.DataFrame]:
    source = tmp_path / "history.csv"
    source.write_text("\n".join([HEADER, *lines]) + "\n")
    report = write_trend(source, tmp_path / "trend.csv", default_knowledge(), **options)  # type: ignore[arg-type]
    out = pl.read_csv(report.out, infer_schema_length=None)
    errors = pl.read_csv(report.errors, infer_schema_length=None)
    assert report.rows_in == report.rows_out + report.rows_error == len(lines)
    return out, errors


def test_unreadable_rows_go_to_the_error_file_with_line_and_reason(tmp_path: Path) -> None:
    """The issue's example: 5 rows in, 2 readable; the 3 others are reported, not dropped."""
    out, errors = _trend(tmp_path, [
        "P1,2026-01-01,b12,150,pmol/L", "P1,2026-03-01,b12,300,ng/L", "P1,2026-04-01,b12,abc,pmol/L",
        "P1,not a date,b12,200,pmol/L", "P1,2026-05-01,vitd,50,nmol/L",
    ])  # fmt: skip
    assert out.height == 2
    assert errors.select("line", "field").rows() == [(4, "value"), (5, "date"), (6, "test")]
    assert errors["reason"].to_list() == ["not a number", "must be a date (YYYY-MM-DD)",
                                          "unknown test vitd"]  # fmt: skip


def test_values_are_rounded_and_carry_their_unit(tmp_path: Path) -> None:
    out, _ = _trend(tmp_path, ["P1,2026-01-01,b12,300,ng/L", "P1,2026-02-01,mma,0.4567,umol/L",
                               "P1,2026-03-01,mma,520,nmol/L"])  # fmt: skip
    b12 = out.filter(pl.col("test") == "b12").row(0, named=True)
    assert (b12["value"], b12["unit"]) == (221.0, "pmol/L")  # 300 ng/L / 1.35537 = 221.34
    mma = out.filter(pl.col("test") == "mma")
    assert mma["value"].to_list() == [0.46, 0.52] and mma["unit"].to_list() == ["umol/L"] * 2
    assert mma["delta"].to_list()[1] == pytest.approx(0.06)


def test_a_change_beyond_the_reference_change_value_is_flagged(tmp_path: Path) -> None:
    variation = default_knowledge().biological_variation
    cvi = variation.tests["b12"].cvi
    assert f"{cvi}%" in variation.tests["b12"].statement  # the number is the source's
    assert variation.citation("b12") and "doi" in (variation.citation("b12") or "")
    rcv = 1.96 * math.sqrt(2) * math.sqrt(5.0**2 + cvi**2)  # RCV = z * √2 * √(CVa² + CVi²)
    small, large = 200 * (1 + (rcv - 3) / 100), 200 * (1 + (rcv + 3) / 100)
    out, _ = _trend(tmp_path, ["P1,2026-01-01,b12,200,pmol/L", f"P1,2026-02-01,b12,{small},pmol/L",
                               "P2,2026-01-01,b12,200,pmol/L", f"P2,2026-02-01,b12,{large},pmol/L"],
                    cva={"b12": 5.0})  # fmt: skip
    assert out["rcv_percent"].to_list() == [round(rcv, 1)] * 4
    assert out["significant"].to_list() == [None, False, None, True]


def test_without_the_laboratorys_cv_nothing_is_flagged(tmp_path: Path) -> None:
    source = tmp_path / "history.csv"
    source.write_text(f"{HEADER}\nP1,2026-01-01,b12,200,pmol/L\nP1,2026-02-01,b12,400,pmol/L\n"
                      "P1,2026-01-01,holotc,40,pmol/L\nP1,2026-02-01,holotc,90,pmol/L\n")  # fmt: skip
    report = write_trend(source, tmp_path / "t.csv", default_knowledge(), cva={"holotc": 5.0})
    out = pl.read_csv(report.out)
    assert out["significant"].null_count() == 4  # holotc: no CVi verified; b12: no CVa given
    assert report.flagged == () and report.unflagged == ("b12", "holotc")
    assert "no significance flag for b12, holotc" in report.summary()
    with pytest.raises(InputError, match="--cva"):
        write_trend(source, tmp_path / "t.csv", default_knowledge(), cva={"b12": 150.0})


def test_censored_results_keep_their_comparator_and_direction(tmp_path: Path) -> None:
    out, _ = _trend(tmp_path, ["P1,2026-01-01,b12,221,pmol/L", "P1,2026-02-01,b12,<100,pmol/L",
                               "P1,2026-03-01,b12,80,pmol/L", "P1,2026-04-01,b12,>1476,pmol/L"],
                    cva={"b12": 5.0})  # fmt: skip
    assert out["comparator"].to_list() == [None, "<", None, ">"]
    assert out["direction"].to_list() == ["first", "down", "uncertain", "up"]
    assert out["delta"].null_count() == 4
    # 221 -> <100 fell at least 55 % and 80 -> >1476 rose at least 1745 %: both beyond the RCV
    # (27.6 %) whatever the true values; <100 -> 80 cannot be decided
    assert out["significant"].to_list() == [None, True, None, True]


def test_a_censored_change_that_may_be_small_is_not_flagged(tmp_path: Path) -> None:
    out, _ = _trend(tmp_path, ["P1,2026-01-01,b12,221,pmol/L", "P1,2026-02-01,b12,<200,pmol/L",
                               "P1,2026-03-01,b12,>190,pmol/L"], cva={"b12": 5.0})  # fmt: skip
    assert out["direction"].to_list() == ["first", "down", "uncertain"]
    assert out["significant"].null_count() == 3  # at least -9.5 %: maybe within the RCV


def test_local_codes_and_a_semicolon_export(tmp_path: Path) -> None:
    codes = tmp_path / "codes.yaml"
    codes.write_text("codes:\n  VITB12: {test: b12, unit: pmol/L}\n")
    source = tmp_path / "history.csv"
    source.write_bytes(b"\xef\xbb\xbfpatient_id;date;test;value\r\nP1;2026-01-01;VITB12;150,4\r\n"
                       b"P1;2026-02-01;VITB12;160\r\n")  # fmt: skip
    report = write_trend(source, tmp_path / "t.parquet", default_knowledge(),
                         codes=LocalCodes.load(codes, default_knowledge().analytes))  # fmt: skip
    out = pl.read_parquet(report.out)
    assert out["test"].to_list() == ["b12", "b12"] and out["value"].to_list() == [150.0, 160.0]


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["P1", "P2", ""]),
            st.sampled_from(["2026-01-01", "2026-02-03", "2026-13-01", ""]),
            st.sampled_from(["b12", "mma", "if_ab", "xx", ""]),
            st.sampled_from(["150", "0,5", "<50", "abc", "-1", "", "1e9"]),
            st.sampled_from(["pmol/L", "umol/L", "ng/L", "", "furlong"]),
        ),
        max_size=40,
    )
)
def test_every_row_is_a_trend_row_or_an_error(rows: list[tuple[str, ...]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "h.csv"
        with source.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER.split(","))
            writer.writerows(rows)
        report = write_trend(source, Path(folder) / "t.csv", default_knowledge())
        assert report.rows_in == len(rows) == report.rows_out + report.rows_error


def test_a_line_with_more_fields_than_the_header_is_named(tmp_path: Path) -> None:
    source = tmp_path / "h.csv"
    source.write_text(f"{HEADER}\nP1,2026-01-01,b12,150,pmol/L\nP1,2026-02-01,mma,0,52,umol/L\n")
    with pytest.raises(InputError, match=r"line 3 has 6 fields, the header 5.*quoted"):
        write_trend(source, tmp_path / "t.csv", default_knowledge())


def test_days_since_the_last_injection_known_at_each_sample(tmp_path: Path) -> None:
    """An injection recorded on any row of the patient counts for every later sample."""
    source = tmp_path / "h.csv"
    source.write_text(
        "patient_id,date,test,value,unit,last_b12_injection\n"
        "P1,2026-01-10,b12,100,pmol/L,\n"
        "P1,2026-03-01,mma,0.5,umol/L,2026-02-01\n"
        "P1,2026-04-01,b12,400,pmol/L,\n"
    )
    report = write_trend(source, tmp_path / "t.csv", default_knowledge())
    out = pl.read_csv(report.out).sort("date")
    assert out["days_since_injection"].to_list() == [None, 28, 59]
