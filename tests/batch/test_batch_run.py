"""Runs on files: row conservation, atomic output, the same output on every engine."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from cobalamin import default_knowledge
from cobalamin.batch.run import run_batch
from cobalamin.errors import InputError

BROKEN = [  # (test, value, unit, sample_id): one of each kind of bad row
    ("xyz", "1", "pmol/L", "S"),  # unknown test
    ("b12", "200", "furlong", "S"),  # bad unit
    ("b12", "1e9", "pmol/L", "S"),  # impossible value
    ("b12", "200", "pmol/L", None),  # missing id
]


def long_file(path: Path, samples: int, broken_share: float = 0.0, seed: int = 1) -> int:
    """A long-form CSV; a share of its rows broken. Returns the number of broken rows."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    for i in range(samples):
        sid = f"S{i:05d}"
        person = {"age": str(int(rng.integers(1, 99))), "sex": str(rng.choice(["female", "male"]))}
        rows.append({"sample_id": sid, "test": "b12", "value": f"{rng.lognormal(5.5, 0.5):.1f}",
                     "unit": str(rng.choice(["pmol/L", "ng/L", "pg/mL"])), **person})  # fmt: skip
        if rng.random() < 0.5:
            rows.append({"sample_id": sid, "test": "mma", "value": f"{rng.lognormal(-1.2, 0.5):.3f}",
                         "unit": str(rng.choice(["umol/L", "nmol/L"])), **person})  # fmt: skip
    broken = 0
    for index in range(len(rows)):
        if rng.random() < broken_share:
            test, value, unit, sid = BROKEN[broken % len(BROKEN)]
            rows[index] = {**rows[index], "test": test, "value": value, "unit": unit,
                           "sample_id": None if sid is None else rows[index]["sample_id"]}  # fmt: skip
            broken += 1
    pl.DataFrame(rows).write_csv(path)
    return broken


def test_row_conservation_with_a_quarter_broken(tmp_path: Path) -> None:
    source = tmp_path / "day.csv"
    broken = long_file(source, 400, broken_share=0.25)
    report = run_batch(
        source, "gelderse-vallei", tmp_path / "out.csv", knowledge=default_knowledge()
    )
    assert report.rows_in == report.rows_ok + report.rows_error
    assert report.rows_error == broken
    errors = pl.read_csv(report.errors)
    assert set(errors["field"]) == {"test", "unit", "value", "sample_id"}
    assert errors["line"].is_unique().all()
    out = pl.read_csv(report.out)
    assert out["sample_id"].is_unique().all()
    assert int(out["rows"].sum()) == report.rows_ok


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_wide_form_with_unit_headers(tmp_path: Path, suffix: str) -> None:
    frame = pl.DataFrame({
        "sample_id": ["A", "B", "C", None, "E"],
        "b12[ng/L]": ["200", "150", "x", "300", "600"],
        "mma": ["", "0.5", "0.2", "", ""],
        "age": ["40", "50", "60", "70", "200"],
    })  # fmt: skip
    source = tmp_path / f"wide{suffix}"
    frame.write_csv(source) if suffix == ".csv" else frame.write_parquet(source)
    report = run_batch(
        source, "gelderse-vallei", tmp_path / f"out{suffix}", knowledge=default_knowledge()
    )
    assert (report.rows_in, report.rows_ok, report.rows_error) == (5, 2, 3)
    errors = pl.read_csv(report.errors)
    assert errors["field"].to_list() == ["b12[ng/L]", "sample_id", "age"]
    first = 4 if suffix == ".csv" else 3  # CSV: file line (header is line 1); Parquet: row
    assert errors["line"].to_list()[0] == first


def test_unknown_header_test_is_an_input_error(tmp_path: Path) -> None:
    source = tmp_path / "wide.csv"
    pl.DataFrame({"sample_id": ["A"], "vitd[nmol/L]": ["50"]}).write_csv(source)
    with pytest.raises(InputError, match="unknown test 'vitd'"):
        run_batch(source, "gelderse-vallei", tmp_path / "out.csv", knowledge=default_knowledge())


def _engines_output(tmp_path: Path, source: Path, engine: str) -> pl.DataFrame:
    report = run_batch(
        source,
        "gelderse-vallei",
        tmp_path / f"{engine}.parquet",
        engine=engine,
        knowledge=default_knowledge(),
    )  # type: ignore[arg-type]
    assert report.rows_in == report.rows_ok + report.rows_error
    frame = pl.read_parquet(report.out)
    return frame.with_columns(pl.col(pl.Categorical, pl.Enum).cast(pl.String))


@pytest.mark.parametrize("form", ["long", "wide"])
def test_same_output_on_polars_duckdb_dask(tmp_path: Path, form: str) -> None:
    source = tmp_path / "in.csv"
    long_file(source, 200, broken_share=0.1)
    if form == "wide":
        frame = pl.read_csv(source, infer_schema=False).filter(pl.col("test") == "b12")
        frame.select("sample_id", pl.col("value").alias("b12[pg/mL]"), "age", "sex").write_csv(
            source
        )
    outputs = {e: _engines_output(tmp_path, source, e) for e in ("polars", "duckdb", "dask")}
    for engine in ("duckdb", "dask"):
        assert outputs[engine].equals(outputs["polars"]), engine


@pytest.mark.slow
def test_same_output_on_spark(tmp_path: Path, spark: Any) -> None:
    source = tmp_path / "in.csv"
    long_file(source, 100, broken_share=0.1)
    polars_out = _engines_output(tmp_path, source, "polars")
    assert _engines_output(tmp_path, source, "spark").equals(polars_out)


def test_killed_run_leaves_nothing_and_rerun_is_identical(tmp_path: Path) -> None:
    source = tmp_path / "big.parquet"
    n = 3_000_000
    rng = np.random.default_rng(3)
    pl.DataFrame({"sample_id": pl.int_range(n, eager=True).cast(pl.String),
                  "b12": rng.lognormal(5.5, 0.5, n)}).write_parquet(source)  # fmt: skip
    out = tmp_path / "out.csv"
    code = (  # a progress callback that dawdles keeps the run going long enough to kill it
        "import time; from pathlib import Path; from cobalamin import default_knowledge; "
        "from cobalamin.batch.run import run_batch; "
        f"run_batch(Path({str(source)!r}), 'gelderse-vallei', Path({str(out)!r}), knowledge=default_knowledge(), "
        "progress=lambda done, total: time.sleep(0.05))"
    )
    process = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.time() + 60
    while time.time() < deadline and not list(tmp_path.glob(".out.partial-*")):
        time.sleep(0.05)
    time.sleep(0.3)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not out.exists()  # nothing half-written under the real name
    first = run_batch(source, "gelderse-vallei", out, knowledge=default_knowledge())
    assert not list(tmp_path.glob(".out*partial*"))  # the stale temporary file is gone
    content = out.read_bytes()
    run_batch(source, "gelderse-vallei", out, knowledge=default_knowledge())
    assert out.read_bytes() == content
    assert first.rows_ok == n and pl.scan_csv(out).select(pl.len()).collect().item() == n


def test_sample_and_injection_dates_match_assess(tmp_path: Path) -> None:
    # days_since_b12_injection (engine.case_facts) must mean the same in batch: the
    # ifab_after_injection alert fires only for an IF-antibody sample within the wait period.
    from helpers import expected, long_rows

    from cobalamin import load_pack

    pack = load_pack("gelderse-vallei")
    cases = {
        "s_3_days": ("2026-11-05", "2026-11-02"),
        "s_30_days": ("2026-12-02", "2026-11-02"),
        "s_injection_after": ("2026-11-01", "2026-11-02"),
    }
    rows, wanted = [], {}
    for sample_id, (sampled, injected) in cases.items():
        case = {
            "date": sampled,
            "person": {"last_b12_injection": injected},
            "results": [
                {"test": "b12", "value": 180.0, "unit": "pmol/L"},
                {"test": "if_ab", "value": "positive"},
            ],
        }
        wanted[sample_id] = expected(case, pack)["alerts"]
        rows += [{**row, "date": sampled} for row in long_rows(sample_id, case)]
    source = tmp_path / "dated.csv"
    pl.DataFrame(rows).write_csv(source)
    report = run_batch(
        source, "gelderse-vallei", tmp_path / "out.csv", knowledge=default_knowledge()
    )
    assert report.rows_error == 0
    got = {r["sample_id"]: r["alerts"] or "" for r in pl.read_csv(report.out).iter_rows(named=True)}
    assert got == wanted
    assert "ifab_after_injection" in wanted["s_3_days"]
    assert "ifab_after_injection" not in wanted["s_30_days"] + wanted["s_injection_after"]


@pytest.mark.parametrize(
    ("form", "engine"), [("long", "polars"), ("long", "duckdb"), ("wide", "duckdb")]
)
def test_output_is_the_same_in_one_part_or_many(
    tmp_path: Path, form: str, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Splitting into parts (and parts of parts) changes neither output nor errors: samples
    stay whole, a repeated test is still an error, and the order is each sample's first line."""
    from cobalamin.batch import staged

    source = tmp_path / "in.csv"
    long_file(source, 300, broken_share=0.1)
    frame = pl.read_csv(source, infer_schema=False)
    if form == "long":  # rows of one sample far apart, and some tests given twice
        frame = pl.concat([frame, frame.head(20)]).sample(fraction=1.0, shuffle=True, seed=5)
    else:
        frame = frame.filter(pl.col("test") == "b12").select(
            "sample_id", pl.col("value").alias("b12[pg/mL]"), "age", "sex"
        )
    frame.write_csv(source)
    whole = run_batch(
        source,
        "gelderse-vallei",
        tmp_path / "whole.csv",
        engine=engine,
        knowledge=default_knowledge(),
    )  # type: ignore[arg-type]
    monkeypatch.setattr(staged, "MAX_FAN", 3)  # 3 parts a pass: parts of 25 rows need two passes
    parts = run_batch(
        source,
        "gelderse-vallei",
        tmp_path / "parts.csv",
        engine=engine,
        part_rows=25,
        knowledge=default_knowledge(),
    )  # type: ignore[arg-type]
    assert parts.out.read_bytes() == whole.out.read_bytes()
    assert parts.errors.read_bytes() == whole.errors.read_bytes()
    errors = pl.read_csv(whole.errors)
    assert (form == "long") == ("given twice for this sample" in errors["reason"].to_list())
    assert errors["line"].is_sorted()
    assert parts.rows_in == parts.rows_ok + parts.rows_error


def test_facts_handed_to_another_engine_give_the_batch_output(tmp_path: Path) -> None:
    """The cluster recipe of docs/laboratory.md: facts written by polars, evaluated elsewhere."""
    import duckdb

    from cobalamin import load_pack
    from cobalamin.batch.compile import compile_pack
    from cobalamin.batch.engines import evaluate_native, normalise_output
    from cobalamin.batch.io import read_lab_file

    source = tmp_path / "export.csv"
    long_file(source, 150, broken_share=0.1)
    lab = read_lab_file(source, default_knowledge())
    lab.facts.sink_parquet(tmp_path / "facts.parquet")
    compiled = compile_pack(
        load_pack("gelderse-vallei"), default_knowledge()
    )  # no constants: the facts are complete
    native = evaluate_native(compiled, duckdb.read_parquet(str(tmp_path / "facts.parquet")))
    elsewhere = normalise_output(pl.from_arrow(native.to_arrow_table()).sort("_order"))
    report = run_batch(
        source, "gelderse-vallei", tmp_path / "out.parquet", knowledge=default_knowledge()
    )
    batch = pl.read_parquet(report.out).with_columns(
        pl.col(pl.Categorical, pl.Enum).cast(pl.String)
    )
    assert elsewhere.equals(batch)


def test_a_line_with_more_fields_than_the_header_is_an_input_error(tmp_path: Path) -> None:
    source = tmp_path / "day.csv"
    source.write_text("sample_id,test,value,unit\nA,b12,150,pmol/L\nB,mma,0,52,umol/L\n")
    with pytest.raises(InputError, match=r"line 3 has 5 fields, the header 4"):
        run_batch(source, "gelderse-vallei", tmp_path / "out.csv", knowledge=default_knowledge())
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("name", ["out.txt", "out", "out.xls"])
def test_an_unknown_output_extension_is_refused_before_reading(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError, match=r"--out.*unknown output format") as info:
        run_batch(tmp_path / "missing.csv", "gelderse-vallei", tmp_path / name,
                  knowledge=default_knowledge())  # fmt: skip
    assert ".csv, .parquet, .jsonl (JSON Lines), .xlsx (Excel)" in str(info.value)


@pytest.mark.parametrize("form", ["long", "wide"])
def test_censored_samples_keep_file_order_in_parts(tmp_path: Path, form: str) -> None:
    """Censored samples interpreted one by one join the others in file order, whatever the
    number of parts; a test given twice (censored first) is an error on the later row."""
    source = tmp_path / "in.csv"
    if form == "long":
        lines = ["sample_id,test,value,unit"] + [
            f"S{i:03d},b12,{'<50' if i % 7 == 0 else 100 + i},pmol/L" for i in range(60)
        ] + ["S000,b12,300,pmol/L"]  # fmt: skip
    else:
        lines = ["sample_id,b12"] + [
            f"S{i:03d},{'<50' if i % 7 == 0 else 100 + i}" for i in range(60)
        ]
    source.write_text("\n".join(lines) + "\n")
    outputs = []
    for part_rows in (7, 1000):
        report = run_batch(source, "gelderse-vallei", tmp_path / f"out{part_rows}.parquet",
                           engine="duckdb" if form == "wide" else "polars", part_rows=part_rows,
                           knowledge=default_knowledge())  # fmt: skip
        assert report.rows_in == report.rows_ok + report.rows_error
        assert report.censored == 9
        frame = pl.read_parquet(report.out).with_columns(pl.col(pl.Enum).cast(pl.String))
        assert frame["sample_id"].to_list() == [f"S{i:03d}" for i in range(60)]
        assert frame.filter(pl.col("censored") == "b12")["deficiency"].unique().to_list() == [
            "likely"
        ]
        outputs.append(frame)
        if form == "long":
            assert pl.read_csv(report.errors)["line"].to_list() == [62]
    assert outputs[0].equals(outputs[1])
