"""One pack, two evaluators: batch output equals ``assess`` for generated cases (every pack).

Cases include every cut-off of the pack and its floating-point neighbours, missing values,
every example unit of every test, and the person facts the pack reads. Both the polars
signature fast path and the generic narwhals expressions are checked. Real exports (CSV
dialects, local codes, censored values, sex codes) go through the whole batch run, which must
give assess's answer for every sample and keep every row.
"""

from __future__ import annotations

import csv
import io
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import narwhals as nw
import polars as pl
import pytest
from helpers import COLUMNS, expected, write_long_csv
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from cobalamin import builtin_pack_ids, default_knowledge, load_pack
from cobalamin.batch.compile import apply, apply_polars, compile_pack
from cobalamin.batch.io import read_lab_file
from cobalamin.batch.run import run_batch
from cobalamin.knowledge.local_codes import LocalCodes
from cobalamin.knowledge.model import Pack
from cobalamin.units import conversion_factor

PACKS = builtin_pack_ids()


def _interesting(pack: Pack, fact: str, low: float, high: float) -> list[float]:
    points = {low, high, (low + high) / 2}
    for cutoff in pack.cutoffs.values():
        if cutoff.fact == fact:
            c = cutoff.canonical
            points |= {c, math.nextafter(c, -math.inf), math.nextafter(c, math.inf), c * 0.99,
                       c * 1.01, c - 1, c + 1}  # fmt: skip
    return sorted(p for p in points if low <= p <= high)


@st.composite
def cases(draw: st.DrawFn, pack: Pack) -> dict[str, Any]:
    results = []
    tested = sorted(
        {*pack.reads, *(t.test for tb in pack.tables for r in tb.rules for t in r.next_tests)}
    )
    for test in tested:
        item = default_knowledge().analytes.get(test)
        if item is None or not draw(st.booleans()):
            continue  # not a test, or missing
        if item.kind == "qualitative":
            results.append({"test": test, "value": draw(st.sampled_from(item.values))})
            continue
        assert item.hard_range is not None
        points = _interesting(pack, test, item.hard_range.low, item.hard_range.high)
        canonical = draw(
            st.sampled_from(points) | st.floats(item.hard_range.low, item.hard_range.high / 20)
        )
        unit = draw(st.sampled_from([item.canonical_unit, *item.example_units]))
        assert unit is not None
        value = canonical / conversion_factor(default_knowledge().analytes[test], unit)
        if (
            not item.hard_range.low
            <= value * conversion_factor(default_knowledge().analytes[test], unit)
            <= item.hard_range.high
        ):
            unit, value = item.canonical_unit, canonical
        results.append({"test": test, "value": value, "unit": unit})
    person: dict[str, Any] = {}
    if draw(st.booleans()):
        person["age"] = draw(
            st.sampled_from(_interesting(pack, "age", 0, 125)) | st.integers(0, 125)
        )
    sex = draw(st.sampled_from([None, "female", "male"]))
    if sex:
        person["sex"] = sex
    if sex != "male" and draw(st.booleans()):
        person["pregnant"] = True
        trimester = draw(st.sampled_from([None, 1, 2, 3]))
        if trimester:
            person["trimester"] = trimester
    for flag in ("lactating", "wish_to_conceive"):
        if draw(st.booleans()):
            person[flag] = draw(st.booleans())
    diet = draw(st.sampled_from([None, *default_knowledge().vocabulary.terms("diet")]))
    if diet:
        person["diet"] = diet
    for name in ("conditions", "medications", "symptoms"):
        chosen = draw(
            st.lists(
                st.sampled_from(sorted(default_knowledge().vocabulary.terms(name))),
                max_size=3,
                unique=True,
            )
        )
        if chosen:
            person[name] = chosen
    return {"person": person, "results": results}


def _check(pack: Pack, batch: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cases.csv"
        write_long_csv(path, batch)
        lab = read_lab_file(path, default_knowledge())
        facts = lab.facts.collect()
        errors = lab.errors.collect()
    compiled = compile_pack(pack, default_knowledge())
    keep = ("sample_id",)
    fast = apply_polars(compiled, facts.lazy(), keep).collect()
    generic = apply(compiled, nw.from_native(facts.lazy()), keep).to_native().collect()
    by_id = {f"S{i:05d}": case for i, case in enumerate(batch)}
    for frame in (fast, generic):
        seen = set(frame["sample_id"]) | set(errors["sample_id"])
        assert seen == set(by_id)
        for row in frame.with_columns(
            pl.col(c).cast(pl.String) for c in COLUMNS if c != "severe"
        ).iter_rows(named=True):
            want = expected(by_id[row["sample_id"]], pack)
            got = {c: row[c] for c in COLUMNS} | {"cb12": row["cb12"]}
            if got != want:
                pytest.fail(f"{by_id[row['sample_id']]}\n got {got}\nwant {want}")
    for sample in errors["sample_id"]:  # only cases without any result are not interpreted
        assert not by_id[sample]["results"]


@pytest.mark.parametrize("pack_id", PACKS)
def test_batch_equals_assess(pack_id: str) -> None:
    pack = load_pack(pack_id)

    @settings(
        max_examples=8,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    @given(st.lists(cases(pack), min_size=50, max_size=200))
    def check(batch: list[dict[str, Any]]) -> None:
        _check(pack, batch)

    check()


@pytest.mark.parametrize("pack_id", PACKS)
def test_every_cutoff_and_neighbour_in_canonical_unit(pack_id: str) -> None:
    """Deterministic sweep: each numeric cut-off, its neighbours, alone and with the others."""
    pack = load_pack(pack_id)
    batch: list[dict[str, Any]] = []
    numeric = [
        c for c in pack.cutoffs.values() if default_knowledge().analytes.get(c.fact) is not None
    ]
    for cutoff in numeric:
        item = default_knowledge().analytes[cutoff.fact]
        assert item.hard_range is not None and item.canonical_unit is not None
        for point in _interesting(pack, cutoff.fact, item.hard_range.low, item.hard_range.high):
            for unit in (item.canonical_unit, *item.example_units):
                value = point / conversion_factor(default_knowledge().analytes[cutoff.fact], unit)
                batch.append(
                    {"person": {}, "results": [{"test": cutoff.fact, "value": value, "unit": unit}]}
                )
                for other in numeric:
                    if other.fact != cutoff.fact:
                        batch.append({"person": {}, "results": [
                            {"test": cutoff.fact, "value": value, "unit": unit},
                            {"test": other.fact, "value": other.canonical, "unit": default_knowledge().analytes[other.fact].canonical_unit},
                        ]})  # fmt: skip
    batch.append({"person": {}, "results": []})
    _check(pack, batch)


PERSON = ("age", "sex", "pregnant", "trimester", "lactating", "wish_to_conceive", "diet",
          "conditions", "medications", "symptoms")  # fmt: skip


def _wide_file(
    path: Path, batch: list[dict[str, Any]], tests: list[str], person: list[str]
) -> None:
    """A wide CSV with only the given columns (results already in their canonical unit)."""
    data: dict[str, list[str | None]] = {"sample_id": [], **{c: [] for c in (*tests, *person)}}
    for i, case in enumerate(batch):
        data["sample_id"].append(f"S{i:05d}")
        given = {r["test"]: r for r in case["results"]}
        for test in tests:
            result = given.get(test)
            if result is None or isinstance(result["value"], str):
                data[test].append(None if result is None else result["value"])
                continue
            data[test].append(repr(result["value"]))
        for name in person:
            value = case["person"].get(name)
            if isinstance(value, list):
                value = ";".join(value)
            data[name].append(None if value is None else str(value).lower())
    pl.DataFrame(data, schema={c: pl.String for c in data}).write_csv(path)


def _restricted(case: dict[str, Any], tests: list[str], person: list[str]) -> dict[str, Any]:
    """The case as a file with only these columns tells it (results in canonical units)."""
    results = []
    for r in case["results"]:
        if r["test"] not in tests:
            continue
        if isinstance(r["value"], str):
            results.append(r)
            continue
        canonical = r["value"] * conversion_factor(
            default_knowledge().analytes[r["test"]], r["unit"]
        )
        unit = default_knowledge().analytes[r["test"]].canonical_unit
        results.append({"test": r["test"], "value": canonical, "unit": unit})
    kept = {k: v for k, v in case["person"].items() if k in person}
    if "trimester" in kept and "pregnant" not in kept:
        kept.pop("trimester")  # the file cannot say pregnant: a trimester alone is an error
    return {"person": kept, "results": results}


@pytest.mark.parametrize("pack_id", PACKS)
def test_wide_file_with_some_columns_equals_assess(pack_id: str) -> None:
    """Facts the file has no column for are decided while compiling: still equal to assess."""
    pack = load_pack(pack_id)
    readable = sorted({*pack.reads} & set(default_knowledge().analytes))

    @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        st.lists(cases(pack), min_size=20, max_size=80),
        st.lists(st.sampled_from(readable), min_size=1, unique=True),
        st.lists(st.sampled_from(PERSON), unique=True),
    )
    def check(batch: list[dict[str, Any]], tests: list[str], person: list[str]) -> None:
        batch = [_restricted(case, tests, person) for case in batch]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "wide.csv"
            _wide_file(path, batch, tests, person)
            lab = read_lab_file(path, default_knowledge())
            assert set(lab.constants) >= set(default_knowledge().analytes) - set(tests)
            facts = lab.facts.collect()
            errors = lab.errors.collect()
        compiled = compile_pack(pack, default_knowledge(), lab.constants)
        keep = ("sample_id",)
        fast = apply_polars(compiled, facts.lazy(), keep).collect()
        generic = apply(compiled, nw.from_native(facts.lazy()), keep).to_native().collect()
        assert errors.is_empty(), errors
        by_id = {f"S{i:05d}": case for i, case in enumerate(batch)}
        for frame in (fast, generic):
            assert frame.height == len(batch)
            text = frame.with_columns(pl.col(c).cast(pl.String) for c in COLUMNS if c != "severe")
            for row in text.iter_rows(named=True):
                want = expected(by_id[row["sample_id"]], pack)
                got = {c: row[c] for c in COLUMNS} | {"cb12": row["cb12"]}
                assert got == want, by_id[row["sample_id"]]

    check()


# --- real exports through ``run_batch``: dialects, local codes, censored values, sex codes ---

SEX_SPELLINGS = [None, "female", "male", "V", "M", "vrouw", "man", "F", "U", "onbekend"]
COMPARATORS = ["<", "<=", ">", ">=", "≤", "≥", "< "]


@dataclass(frozen=True)
class Export:
    """A generated export: its cases (the JSON contract) and how the file is written."""

    cases: list[dict[str, Any]]
    form: str  # long | wide
    units: dict[str, str]  # wide: the unit of each test's column
    coded: bool  # tests named by a site's local codes (the code gives the unit)
    separator: str
    decimal_comma: bool
    bom: bool
    crlf: bool
    parquet: bool


def _censored_or_exact(draw: st.DrawFn, pack: Pack, test: str, unit: str) -> str | float:
    item = default_knowledge().analytes[test]
    assert item.hard_range is not None
    factor = conversion_factor(item, unit)
    points = _interesting(pack, test, item.hard_range.low, item.hard_range.high)
    canonical = draw(
        st.sampled_from(points) | st.floats(item.hard_range.low, item.hard_range.high / 20)
    )
    value = canonical / factor
    if draw(st.integers(0, 3)) != 0:  # a quarter of the results censored
        return value
    comparator = draw(st.sampled_from(COMPARATORS))
    if comparator.startswith("<") or comparator == "≤":
        value = max(value, item.hard_range.low / factor + 1e-3)
    else:
        value = min(value, item.hard_range.high / factor - 1e-3)
    return f"{comparator}{value!r}"


@st.composite
def exports(draw: st.DrawFn, pack: Pack) -> Export:
    analytes = default_knowledge().analytes
    tested = sorted(
        t
        for t in {
            *pack.reads,
            *(n.test for tb in pack.tables for r in tb.rules for n in r.next_tests),
        }
        if t in analytes
    )
    form = draw(st.sampled_from(["long", "wide"]))
    units = {
        t: draw(st.sampled_from([analytes[t].canonical_unit, *analytes[t].example_units]))
        for t in tested if analytes[t].kind == "quantitative"
    }  # fmt: skip
    cases = []
    for _ in range(draw(st.integers(8, 40))):
        results: list[dict[str, Any]] = []
        for test in tested:
            if not draw(st.booleans()):
                continue
            item = analytes[test]
            if item.kind == "qualitative":
                results.append({"test": test, "value": draw(st.sampled_from(item.values))})
                continue
            unit = (
                units[test] if form == "wide" else draw(st.sampled_from(list(item.example_units)))
            )
            value = _censored_or_exact(draw, pack, test, unit)
            results.append({"test": test, "value": value, "unit": unit})
        person: dict[str, Any] = {}
        if draw(st.booleans()):
            person["age"] = draw(st.integers(0, 125))
        sex = draw(st.sampled_from(SEX_SPELLINGS))
        if sex:
            person["sex"] = sex
        if draw(st.booleans()) and sex not in ("male", "M", "man"):
            person["pregnant"] = True
        chosen = draw(
            st.lists(
                st.sampled_from(sorted(default_knowledge().vocabulary.terms("symptoms"))),
                max_size=2,
                unique=True,
            )
        )
        if chosen:
            person["symptoms"] = chosen
        cases.append({"person": person, "results": results})
    return Export(
        cases, form, units, draw(st.booleans()), draw(st.sampled_from([",", ";", "\t"])),
        draw(st.booleans()), draw(st.booleans()), draw(st.booleans()), draw(st.integers(0, 4)) == 0,
    )  # fmt: skip


def _code(test: str) -> str:
    return f"LAB-{test.upper()}"


def _text(value: Any, export: Export) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else repr(value)
    return text.replace(".", ",") if export.decimal_comma else text


def _write_export(export: Export, folder: Path) -> tuple[Path, Path, int]:
    """The export file, its local codes file and its number of data rows."""
    rows: list[dict[str, str | None]] = []
    for i, case in enumerate(export.cases):
        person = {
            k: (";".join(v) if isinstance(v, list) else str(v)) for k, v in case["person"].items()
        }
        if export.form == "wide":
            row: dict[str, str | None] = {"sample_id": f"S{i:05d}", **person}
            for result in case["results"]:
                test = result["test"]
                column = _code(test) if export.coded else (
                    f"{test}[{result['unit']}]" if "unit" in result else test)  # fmt: skip
                row[column] = _text(result["value"], export)
            rows.append(row)
            continue
        if not case["results"]:
            rows.append(
                {"sample_id": f"S{i:05d}", "test": None, "value": None, "unit": None, **person}
            )
        for result in case["results"]:
            coded = (
                export.coded
                and "unit" in result
                and result["unit"] == export.units.get(result["test"])
            )
            rows.append({
                "sample_id": f"S{i:05d}",
                "test": _code(result["test"]) if export.coded else result["test"],
                "value": _text(result["value"], export),
                "unit": None if coded else result.get("unit"),  # the code's own unit fills it in
                **person,
            })  # fmt: skip
    names = list(dict.fromkeys(k for row in rows for k in row))
    if export.form == "wide":
        for test in export.units:
            column = _code(test) if export.coded else f"{test}[{export.units[test]}]"
            if column not in names:
                names.append(column)
    codes = folder / "codes.yaml"
    codes.write_text(
        "codes:\n" + "".join(
            f"  {_code(t)}: {{test: {t}" + (f", unit: '{u}'" if (u := export.units.get(t)) else "") + "}\n"
            for t in default_knowledge().analytes
        )
    )  # fmt: skip
    if export.parquet:
        path = folder / "export.parquet"
        data = {n: [row.get(n) for row in rows] for n in names}
        pl.DataFrame(data, schema={n: pl.String for n in names}).write_parquet(path)
        return path, codes, len(rows)
    path = folder / "export.csv"
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, delimiter=export.separator, lineterminator="\r\n" if export.crlf else "\n"
    )
    writer.writerow(names)
    for row in rows:
        writer.writerow(["" if row.get(n) is None else row[n] for n in names])
    path.write_bytes(("\ufeff" if export.bom else "").encode() + buffer.getvalue().encode("utf-8"))
    return path, codes, len(rows)


@pytest.mark.parametrize("pack_id", PACKS)
def test_real_exports_through_the_batch_run_equal_assess(pack_id: str) -> None:
    """Semicolon, comma or tab; decimal commas, BOM, CRLF; local codes; censored values;
    sex codes: every sample's output equals assess on its case, and every row is in the
    output or the error file."""
    pack = load_pack(pack_id)

    @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
    @given(exports(pack))
    def check(export: Export) -> None:
        with tempfile.TemporaryDirectory() as folder:
            source, codes_file, rows = _write_export(export, Path(folder))
            knowledge = default_knowledge()
            codes = LocalCodes.load(codes_file, knowledge.analytes) if export.coded else None
            report = run_batch(source, pack, Path(folder) / "out.parquet", knowledge=knowledge,
                               codes=codes)  # fmt: skip
            assert report.rows_in == rows == report.rows_ok + report.rows_error
            out = pl.read_parquet(report.out).with_columns(pl.col(pl.Enum).cast(pl.String))
            errors = pl.read_csv(report.errors, infer_schema=False)
        by_id = {f"S{i:05d}": case for i, case in enumerate(export.cases)}
        assert set(out["sample_id"]) | set(errors["sample_id"].drop_nulls()) == set(by_id)
        for sample in errors["sample_id"]:  # only cases without any result are not interpreted
            assert not by_id[sample]["results"], errors
        for row in out.iter_rows(named=True):
            want = expected(by_id[row["sample_id"]], pack)
            got = {c: row[c] for c in COLUMNS} | {"cb12": row["cb12"]}
            assert got == want, (by_id[row["sample_id"]], export)
        censored = [
            c
            for c in export.cases
            if any(isinstance(r["value"], str) and r["value"][0] in "<>≤≥" for r in c["results"])
        ]
        assert report.censored == len(censored)

    check()
