"""Each pack against its table of cases (tests/packs/cases/<pack>.yaml), sentence by sentence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from cobalamin import assess, builtin_pack_ids, load_pack

CASES = Path(__file__).parent / "cases"


def _load() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(CASES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        found += [(data["pack"], case) for case in data["cases"]]
    return found


def _results(raw: dict[str, str]) -> list[dict[str, Any]]:
    """``{b12: 150 pmol/L, if_ab: positive}`` as result objects (a word is a qualitative result)."""
    out: list[dict[str, Any]] = []
    for test, text in raw.items():
        if " " not in str(text):
            out.append({"test": test, "value": str(text)})
            continue
        value, unit = str(text).split(" ", 1)
        out.append({"test": test, "value": float(value), "unit": unit})
    return out


def test_every_builtin_pack_has_a_case_table() -> None:
    assert {p.stem for p in CASES.glob("*.yaml")} == set(builtin_pack_ids())


@pytest.mark.parametrize(
    ("pack_id", "case"), _load(), ids=lambda v: v if isinstance(v, str) else v["name"]
)
def test_case(pack_id: str, case: dict[str, Any]) -> None:
    result = assess(
        {"person": case.get("person", {}), "results": _results(case["results"])}, load_pack(pack_id)
    )
    expect = case["expect"]
    if "deficiency" in expect:
        assert result.deficiency == expect["deficiency"], case["source"]
    if "severe" in expect:
        assert result.severe is expect["severe"], case["source"]
    if "reflex" in expect:
        assert sorted(result.reflex_tests) == sorted(expect["reflex"]), case["source"]
    if "next_tests" in expect:
        assert sorted(t.test for t in result.next_tests) == sorted(expect["next_tests"]), case[
            "source"
        ]
    if "alerts" in expect:
        assert set(expect["alerts"]) <= {a.code for a in result.alerts}, case["source"]
    if "findings" in expect:
        assert set(expect["findings"]) <= {f.rule for f in result.findings}, case["source"]
    # Every conclusion names its rule and source.
    assert all(f.rule and f.source for f in result.findings)
    assert all(t.rule and t.source for t in result.next_tests)
