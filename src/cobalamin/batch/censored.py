"""Samples with a censored result (``<50``), interpreted one by one with ``assess``.

Such samples are rare, and ``cobalamin.pipeline.assess_censored`` runs the pipeline several
times per sample, so they are not compiled: each sample becomes the same ``Case`` the JSON
contract would give (the reader already checked and converted every column) and ``assess``
decides it. The output rows have the batch's columns; identical samples are decided once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from cobalamin.assessment import Assessment
from cobalamin.batch.compile import LIST_SEPARATOR
from cobalamin.case import Case, Result, normalise_result
from cobalamin.errors import InputError
from cobalamin.knowledge.model import Pack
from cobalamin.knowledge.registry import Knowledge
from cobalamin.person import Medication, Person
from cobalamin.pipeline import assess
from cobalamin.version import ENGINE_VERSION

__all__ = ["CensoredSample", "censored_rows", "long_samples", "wide_samples"]

# The batch keeps only the days from the last injection to the sample (all that rules read);
# the Case gets two dates that are that many days apart.
_SAMPLE_DAY = dt.date(2000, 1, 1)
_CACHE_LIMIT = 100_000


@dataclass(frozen=True)
class CensoredSample:
    """One sample: its facts (as the facts frame types them) and its censored results' text."""

    sample_id: str
    order: int  # the line of its first row
    rows: int
    facts: Mapping[str, Any]
    censored: Mapping[str, tuple[str, str | None]]  # test -> (raw text, unit)


def _decode(encoded: Any) -> tuple[str, ...]:
    return tuple(i for i in str(encoded or ";").split(";") if i)


def _case(sample: CensoredSample, knowledge: Knowledge) -> Case:
    facts = sample.facts
    analytes = knowledge.analytes
    results: dict[str, Result] = {}
    for test, item in analytes.items():
        if test in sample.censored:
            raw, unit = sample.censored[test]
            results[test] = normalise_result(analytes, test, raw, unit, test)[0]
            continue
        value = facts.get(test)
        if value is None:
            continue
        if item.kind == "qualitative":
            results[test] = Result(test, str(value), None, str(value), None)
        else:
            unit = item.canonical_unit
            results[test] = Result(test, float(value), unit, float(value), unit)
    days = facts.get("days_since_b12_injection")
    injected = None if days is None else _SAMPLE_DAY - dt.timedelta(days=int(days))
    trimester = facts.get("trimester")
    person = Person(
        age=facts.get("age"),
        sex=facts.get("sex"),
        pregnant=bool(facts.get("pregnant") or False),
        trimester=None if trimester is None else int(trimester),
        lactating=bool(facts.get("lactating") or False),
        wish_to_conceive=bool(facts.get("wish_to_conceive") or False),
        diet=facts.get("diet"),
        conditions=_decode(facts.get("conditions")),
        medications=tuple(Medication(id=m) for m in _decode(facts.get("medications"))),
        symptoms=_decode(facts.get("symptoms")),
        last_b12_injection=injected,
    )
    return Case(person, results, date=_SAMPLE_DAY if injected is not None else None)


def _columns(result: Assessment) -> dict[str, Any]:
    return {
        "deficiency": result.deficiency,
        "severe": result.severe,
        "next_tests": LIST_SEPARATOR.join(t.test for t in result.next_tests),
        "reflex_tests": LIST_SEPARATOR.join(result.reflex_tests),
        "alerts": LIST_SEPARATOR.join(a.code for a in result.alerts),
        "cb12": None if result.cb12 is None else result.cb12.value,
        "comment_en": result.comment("en"),
        "comment_nl": result.comment("nl"),
        "censored": LIST_SEPARATOR.join(result.censored),
    }


OUTPUT_SCHEMA = {
    "sample_id": pl.String, "rows": pl.Int64, "_order": pl.Int64, "deficiency": pl.String,
    "severe": pl.Boolean, "next_tests": pl.String, "reflex_tests": pl.String,
    "alerts": pl.String, "cb12": pl.Float64, "comment_en": pl.String, "comment_nl": pl.String,
    "pack_sha256": pl.String, "engine_version": pl.String, "censored": pl.String,
}  # fmt: skip
ERROR_COLUMNS = {"line": pl.Int64, "sample_id": pl.String, "field": pl.String, "reason": pl.String}


def censored_rows(
    samples: Iterable[CensoredSample], pack: Pack, knowledge: Knowledge
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(output rows, error rows) of censored samples, in the order given."""
    out: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    seen: dict[Any, dict[str, Any] | InputError] = {}
    for sample in samples:
        key = (tuple(sorted(sample.facts.items())), tuple(sorted(sample.censored.items())))
        found = seen.get(key)
        if found is None:
            try:
                found = _columns(assess(_case(sample, knowledge), pack, knowledge))
            except InputError as exc:  # the reader let through what the contract refuses
                found = exc
            if len(seen) < _CACHE_LIMIT:
                seen[key] = found
        if isinstance(found, InputError):
            errors.append({"line": sample.order, "sample_id": sample.sample_id,
                           "field": found.field, "reason": found.message})  # fmt: skip
            continue
        out.append({"sample_id": sample.sample_id, "rows": sample.rows, "_order": sample.order,
                    **found, "pack_sha256": pack.sha256, "engine_version": ENGINE_VERSION})  # fmt: skip
    return (
        pl.DataFrame(out, schema=OUTPUT_SCHEMA, orient="row"),
        pl.DataFrame(errors, schema=ERROR_COLUMNS, orient="row"),
    )


def wide_samples(frame: pl.DataFrame, tests: Iterable[str]) -> Iterator[CensoredSample]:
    """The samples of ``LabFile.censored`` of a wide file (one row each)."""
    raw_tests = [t for t in tests if f"_raw__{t}" in frame.columns]
    skip = {"sample_id", "_order", "rows"} | {c for c in frame.columns if c.startswith("_")}
    for row in frame.iter_rows(named=True):
        censored = {
            t: (row[f"_raw__{t}"], row[f"_unit__{t}"])
            for t in raw_tests
            if row[f"_raw__{t}"] is not None
        }
        facts = {k: v for k, v in row.items() if k not in skip}
        yield CensoredSample(row["sample_id"], row["_order"], row["rows"], facts, censored)


def long_samples(
    rows: pl.DataFrame, test_ids: tuple[str, ...]
) -> tuple[list[CensoredSample], pl.DataFrame]:
    """The samples of long-form rows (readable and censored rows of the same samples, columns
    ``_sample, _line, _test, _canonical, _word, _p_*, _raw, _raw_unit``), and the rows that
    repeat a test of their sample (errors, as ``Grouping.repeat_errors`` reports them)."""
    samples: list[CensoredSample] = []
    repeats: list[dict[str, Any]] = []
    ordered = rows.sort("_line")
    for (sample_id,), group in ordered.group_by("_sample", maintain_order=True):
        facts: dict[str, Any] = {}
        censored: dict[str, tuple[str, str | None]] = {}
        first = None
        repeated = 0
        for row in group.iter_rows(named=True):
            first = first or row
            test = test_ids[row["_test"]]
            if test in facts or test in censored:
                repeated += 1
                repeats.append({"line": row["_line"], "sample_id": sample_id, "field": "test",
                                "reason": "given twice for this sample"})  # fmt: skip
                continue
            if row.get("_raw") is not None:
                censored[test] = (row["_raw"], row["_raw_unit"])
            else:
                facts[test] = row["_word"] if row["_word"] is not None else row["_canonical"]
        assert first is not None
        for name, value in first.items():
            if name.startswith("_p_"):
                facts[name[3:]] = value
        used = group.height - repeated
        samples.append(CensoredSample(str(sample_id), int(first["_line"]), used, facts, censored))
    return samples, pl.DataFrame(repeats, schema=ERROR_COLUMNS, orient="row").sort("line")
