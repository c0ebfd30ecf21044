"""One pack, two evaluators: batch output equals ``assess`` for generated cases (every pack).

Cases include every cut-off of the pack and its floating-point neighbours, missing values,
every example unit of every test, and the person facts the pack reads. Both the polars
signature fast path and the generic narwhals expressions are checked.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import narwhals as nw
import polars as pl
import pytest
from helpers import COLUMNS, expected, write_long_csv
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from cobalamin.analytes import catalogue
from cobalamin.batch.compile import apply, apply_polars, compile_pack
from cobalamin.batch.io import read_lab_file
from cobalamin.knowledge.loader import builtin_pack_ids, load_pack
from cobalamin.knowledge.model import Pack
from cobalamin.units import conversion_factor
from cobalamin.vocabulary import terms

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
        item = catalogue().get(test)
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
        value = canonical / conversion_factor(test, unit)
        if not item.hard_range.low <= value * conversion_factor(test, unit) <= item.hard_range.high:
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
    diet = draw(st.sampled_from([None, *terms("diet")]))
    if diet:
        person["diet"] = diet
    for name in ("conditions", "medications", "symptoms"):
        chosen = draw(st.lists(st.sampled_from(sorted(terms(name))), max_size=3, unique=True))
        if chosen:
            person[name] = chosen
    return {"person": person, "results": results}


def _check(pack: Pack, batch: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cases.csv"
        write_long_csv(path, batch)
        lab = read_lab_file(path)
        facts = lab.facts.collect()
        errors = lab.errors.collect()
    compiled = compile_pack(pack)
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
    numeric = [c for c in pack.cutoffs.values() if catalogue().get(c.fact) is not None]
    for cutoff in numeric:
        item = catalogue()[cutoff.fact]
        assert item.hard_range is not None and item.canonical_unit is not None
        for point in _interesting(pack, cutoff.fact, item.hard_range.low, item.hard_range.high):
            for unit in (item.canonical_unit, *item.example_units):
                value = point / conversion_factor(cutoff.fact, unit)
                batch.append(
                    {"person": {}, "results": [{"test": cutoff.fact, "value": value, "unit": unit}]}
                )
                for other in numeric:
                    if other.fact != cutoff.fact:
                        batch.append({"person": {}, "results": [
                            {"test": cutoff.fact, "value": value, "unit": unit},
                            {"test": other.fact, "value": other.canonical, "unit": catalogue()[other.fact].canonical_unit},
                        ]})  # fmt: skip
    batch.append({"person": {}, "results": []})
    _check(pack, batch)
