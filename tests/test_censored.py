"""Censored results (``<50``, ``>1476``) through the one assessment pipeline.

The rule: a value below a detection limit that itself lies below a cut-off is classed below
that cut-off; when the limit lies beyond a cut-off the result cannot be classed, and the
output says why. Clinical expectations quote the Gelderse Vallei leaflet (seed 004):
"<150 pmol/L — Kans op een vitamine B12 tekort: Groot", ">220 pmol/L — Zeer klein".
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cobalamin import assess, builtin_pack_ids, default_knowledge, load_pack
from cobalamin.knowledge.loader import EDGE_TOLERANCE
from cobalamin.knowledge.model import Pack
from cobalamin.units import conversion_factor

GV = "gelderse-vallei"


def _b12(value: str, unit: str = "pmol/L", **person: Any) -> dict[str, Any]:
    return {"person": person, "results": [{"test": "b12", "value": value, "unit": unit}]}


def test_below_a_limit_under_the_cut_off_is_classed_below_it() -> None:
    """ "<150 pmol/L — Groot": a B12 <50 pmol/L is below 150, whatever its true value."""
    result = assess(_b12("<50"), load_pack(GV))
    assert result.deficiency == "likely"
    assert result.censored == ("b12",)
    assert [f.rule for f in result.findings] == ["censored_b12", "gv_b12_low"]
    assert result.to_dict()["censored"] == ["b12"]
    # the finding shows the result as the report gave it, not one of the values it allows
    assert result.findings[1].full_text("en").startswith("total B12 <50 pmol/L — ")
    assert result.findings[1].values[0].comparator == "<"
    assert "gecensureerd" in result.comment("nl") and "censored" in result.comment("en")


def test_a_limit_above_the_cut_off_is_indeterminate_and_says_why() -> None:
    """<200 pmol/L may be below 150 (Groot) or in the grey zone 150-220: not decidable."""
    result = assess(_b12("<200"), load_pack(GV))
    assert result.deficiency == "indeterminate"
    assert [f.rule for f in result.findings] == ["censored_b12"]
    assert "150 pmol/L" in result.comment("en") and "detection limit" in result.comment("en")
    assert "detectiegrens" in result.comment("nl") and "150 pmol/L" in result.comment("nl")
    assert result.next_tests == ()  # the MMA reflex holds only for part of the interval


def test_the_limit_itself_counts_only_with_or_equal() -> None:
    pack = load_pack(GV)
    assert assess(_b12("<150"), pack).deficiency == "likely"
    assert assess(_b12("<=150"), pack).deficiency == "indeterminate"  # 150 is grey zone
    assert assess(_b12("≤149"), pack).deficiency == "likely"


def test_above_the_measuring_range() -> None:
    """ ">220 pmol/L — Zeer klein": a B12 >1476 pmol/L is above 220."""
    result = assess(_b12(">1476"), load_pack(GV))
    assert result.deficiency == "unlikely"
    assert assess(_b12(">=220"), load_pack(GV)).deficiency == "indeterminate"


def test_censored_in_another_unit() -> None:
    """<100 ng/L is <73.8 pmol/L: below 150."""
    assert assess(_b12("<100", "ng/L"), load_pack(GV)).deficiency == "likely"


def test_a_censored_result_that_changes_only_a_finding_keeps_the_decided_deficiency() -> None:
    """B12 <50 decides "likely"; MMA >0.3 may or may not be above 0.40: its finding is left out."""
    case = {
        "results": [
            {"test": "b12", "value": "<50", "unit": "pmol/L"},
            {"test": "mma", "value": ">0.3", "unit": "umol/L"},
        ]
    }
    result = assess(case, load_pack(GV))
    assert result.deficiency == "likely"
    assert [f.rule for f in result.findings] == ["censored_b12", "censored_mma", "gv_b12_low"]
    assert "only what holds for every value" in result.findings[1].text.en


def _exact(case: dict[str, Any], value: float, pack: Pack) -> str:
    exact = {**case, "results": [{"test": "b12", "value": value, "unit": "pmol/L"}]}
    return assess(exact, pack).deficiency


@pytest.mark.parametrize("pack_id", builtin_pack_ids())
def test_censored_agrees_with_every_value_it_allows(pack_id: str) -> None:
    """Whatever the limit: when the censored answer is decided, every exact value in the
    interval (a value within EDGE_TOLERANCE of an open limit counts as at it) gives that answer; when it is indeterminate, two exact values disagree (or the
    exact values are themselves indeterminate)."""
    pack = load_pack(pack_id)
    item = default_knowledge().analytes["b12"]
    assert item.hard_range is not None
    cuts = [c.canonical for c in pack.cutoffs.values() if c.fact == "b12"]
    near = sorted({p for c in cuts for p in (c, math.nextafter(c, 0), math.nextafter(c, 1e9))})

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        st.sampled_from(["<", "<=", ">", ">="]),
        st.sampled_from(near) | st.floats(1, 2000),
        st.sampled_from([{}, {"age": 70}, {"pregnant": True, "sex": "female"}]),
    )
    def check(comparator: str, limit: float, person: dict[str, Any]) -> None:
        case = {"person": person, "results": [
            {"test": "b12", "value": limit, "comparator": comparator, "unit": "pmol/L"}]}  # fmt: skip
        censored = assess(case, pack).deficiency
        low, high = (0.0, limit) if comparator.startswith("<") else (limit, 3000.0)
        samples = [low + (high - low) * k / 40 for k in range(41)] + [
            c for c in near if low <= c <= high
        ]
        # a value within EDGE_TOLERANCE of the limit is *at* the limit, as at a cut-off
        slack = abs(limit) * EDGE_TOLERANCE
        # and a value inside every stretch between two of these points (a coarse grid can miss one)
        ends = sorted({low, high, *samples})
        samples += [(a + b) / 2 for a, b in itertools.pairwise(ends)]
        if comparator == "<":
            samples = [s for s in samples if s < limit - slack]
        if comparator == ">":
            samples = [s for s in samples if s > limit + slack]
        answers = {_exact(case, s, pack) for s in samples}
        if censored != "indeterminate":
            assert answers == {censored}, (comparator, limit, answers)
        else:
            assert len(answers) > 1 or answers == {"indeterminate"}, (comparator, limit, answers)

    check()


def test_units_of_the_limit_are_converted_before_classing() -> None:
    factor = conversion_factor(default_knowledge().analytes["b12"], "ng/L")
    assert assess(_b12(f"<{150 / factor:.6f}", "ng/L"), load_pack(GV)).deficiency == "likely"


@pytest.mark.parametrize(
    ("token", "comparator"),
    [("b12=<50pmol/L", "<"), ("b12=< 50 pmol/L", "<"), ("b12=≤50pmol/L", "≤"),
     ("b12=>1476pmol/L", ">"), ("b12=>=1476 pmol/L", ">=")],
)  # fmt: skip
def test_cli_result_flags_read_censored_values(token: str, comparator: str) -> None:
    from cobalamin.cli.clinical import parse_result_token

    parsed = parse_result_token(token)
    assert parsed["comparator"] == comparator and parsed["unit"] == "pmol/L"
    assert assess({"results": [parsed]}, load_pack(GV)).censored == ("b12",)
