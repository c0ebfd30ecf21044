"""No result vanishes without a word: under every pack, every test the case holds is either read
(a finding names it) or said to be unused by that guideline, in English and in Dutch."""

from __future__ import annotations

from typing import Any

import pytest

from cobalamin import builtin_pack_ids, default_knowledge, load_pack
from cobalamin.pipeline import assess

KNOWLEDGE = default_knowledge()
EXAMPLES: dict[str, dict[str, Any]] = {
    "b12": {"value": 300, "unit": "pmol/L"},
    "holotc": {"value": 20, "unit": "pmol/L"},
    "mma": {"value": 0.3, "unit": "umol/L"},
    "hcy": {"value": 30, "unit": "umol/L"},
    "folate": {"value": 20, "unit": "nmol/L"},
    "rbc_folate": {"value": 800, "unit": "nmol/L"},
    "hb": {"value": 140, "unit": "g/L"},
    "mcv": {"value": 90, "unit": "fL"},
    "ferritin": {"value": 80, "unit": "ug/L"},
    "creatinine": {"value": 80, "unit": "umol/L"},
    "if_ab": {"value": "positive"},
    "pca_ab": {"value": "negative"},
}


def test_every_test_of_the_catalogue_has_an_example() -> None:
    assert set(EXAMPLES) == set(KNOWLEDGE.analytes)


@pytest.mark.parametrize("pack_id", builtin_pack_ids())
@pytest.mark.parametrize("test", sorted(EXAMPLES))
def test_every_result_is_read_or_said_to_be_unused(pack_id: str, test: str) -> None:
    results = [{"test": test, **EXAMPLES[test]}]
    if test not in ("b12", "holotc"):
        results.append({"test": "b12", **EXAMPLES["b12"]})
    pack = load_pack(pack_id)
    result = assess({"results": results}, pack, KNOWLEDGE)
    rules = {r.id: r for t in pack.tables for r in t.rules}
    naming = [
        f
        for f in result.findings
        if any(c.fact == test and c.op != "missing" for c in rules[f.rule].when)
    ]
    assert naming, f"{pack_id} says nothing about {test}"
    for finding in naming:
        assert finding.text.en and finding.text.nl
        assert any(v.test == test for v in finding.values)  # the value is stated with it
