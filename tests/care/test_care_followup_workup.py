"""Follow-up reviews and decisions; cause work-up after a likely deficiency."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from cobalamin import default_knowledge, follow_up, load_pack, workup
from cobalamin.care.followup import review_dates
from cobalamin.errors import InputError

START = dt.date(2026, 1, 5)


def test_nhg_hb_checks_at_four_and_eight_to_ten_weeks() -> None:
    reviews = review_dates(default_knowledge(), "nhg-anemie", START)
    assert [(r.date, r.until) for r in reviews] == [
        (dt.date(2026, 2, 2), None),
        (dt.date(2026, 3, 2), dt.date(2026, 3, 16)),
    ]
    bibliography = default_knowledge().sources
    for review in reviews:  # the Farmacotherapeutisch Kompas, read in the document itself
        assert review.source_ids == ("farmacotherapeutisch-kompas-anemie",)
        assert bibliography[review.source_ids[0]].evidence == "VERIFIED"
        assert "https://www.farmacotherapeutischkompas.nl" in review.source


def test_nice_reviews_at_three_months_or_one_month_in_pregnancy_or_breastfeeding() -> None:
    assert [r.date for r in review_dates(default_knowledge(), "nice-ng239", START)] == [
        dt.date(2026, 4, 5)
    ]
    assert [
        r.date
        for r in review_dates(default_knowledge(), "nice-ng239", START, pregnant_or_lactating=True)
    ] == [dt.date(2026, 2, 5)]


@pytest.mark.parametrize(
    ("route", "response", "cause", "rule"),
    [
        ("oral", "improved", True, "nice_oral_improved_cause_addressed"),
        ("oral", "improved", False, "nice_oral_improved_cause_not_addressed"),
        ("oral", "new_symptoms", False, "nice_oral_new_symptoms"),
        ("oral", "not_improved", False, "nice_oral_not_improved"),
        ("im", "improved", False, "nice_im_improved"),
        ("im", "improved", True, "nice_im_cause_resolved"),
        ("im", "not_improved", False, "nice_im_not_improved"),
    ],
)
def test_nice_decision_flow(route: str, response: str, cause: bool, rule: str) -> None:
    result = follow_up(
        "nice-ng239",
        START,
        route=route,
        response=response,
        cause_addressed=cause,  # type: ignore[arg-type]
    )
    assert [a.rule for a in result.advice] == [rule]
    assert result.advice[0].source_ids == ("nice-ng239", "sps-ng239")  # NICE via the SPS summary
    assert default_knowledge().sources["sps-ng239"].evidence == "SECONDARY"


def test_nhg_oral_not_improved_switches_to_injections() -> None:
    result = follow_up("nhg-anemie", START, route="oral", response="not_improved")
    assert result.advice[0].rule == "nhg_oral_not_improved"
    assert "nhg-im-hydroxo" in result.advice[0].text.en
    assert any("not useful" in n.text.en for n in result.notes)


def test_follow_up_bad_input() -> None:
    with pytest.raises(InputError, match="improved, not_improved, new_symptoms"):
        follow_up("nice-ng239", START, response="better")
    with pytest.raises(InputError, match="nice-ng239"):
        follow_up("no-such-pack", START)


def _pack(pack_id: str) -> object:
    return dataclasses.replace(load_pack("gelderse-vallei"), id=pack_id)


LOW = {"test": "b12", "value": 100, "unit": "pmol/L"}


def test_workup_after_likely_deficiency_suggests_antibodies() -> None:
    result = workup({"person": {"age": 70}, "results": [LOW]}, load_pack("gelderse-vallei"))
    assert result.deficiency == "likely"
    assert [t.test for t in result.next_tests] == ["if_ab"]


def test_workup_nothing_when_deficiency_unlikely() -> None:
    case = {"person": {"age": 70}, "results": [{"test": "b12", "value": 400, "unit": "pmol/L"}]}
    result = workup(case, load_pack("gelderse-vallei"))
    assert result.findings == () and result.next_tests == ()


def test_workup_nice_negative_ifab_does_not_rule_out_autoimmune_gastritis() -> None:
    case = {"person": {}, "results": [LOW, {"test": "if_ab", "value": "negative"}]}
    result = workup(case, _pack("nice-ng239"))  # type: ignore[arg-type]
    rules = {f.rule for f in result.findings}
    assert {"wu_nice_coeliac", "wu_nice_ifab_negative"} <= rules
    assert [t.test for t in result.next_tests] == ["pca_ab"]


def test_workup_nhg_iron_and_folate_first() -> None:
    result = workup({"person": {}, "results": [LOW]}, _pack("nhg-anemie"))  # type: ignore[arg-type]
    assert {t.test for t in result.next_tests} == {"if_ab", "ferritin", "folate"}


def test_workup_bsh_parietal_cell_antibodies_not_recommended() -> None:
    result = workup({"person": {}, "results": [LOW]}, _pack("bsh-2014"))  # type: ignore[arg-type]
    assert "wu_bsh_no_pca" in {f.rule for f in result.findings}


def test_workup_wait_a_week_after_an_injection_for_ifab() -> None:
    case = {"person": {"last_b12_injection": "2026-11-02"}, "date": "2026-11-04", "results": [LOW]}
    result = workup(case, load_pack("gelderse-vallei"))
    assert "wu_ifab_wait_after_injection" in {f.rule for f in result.findings}


def test_an_irreversible_cause_cannot_be_addressed() -> None:
    """NICE NG239 rationale: 'Some causes of vitamin B12 deficiency are irreversible and
    therefore treatment is needed for life.'"""
    with pytest.raises(InputError, match="lasting cause: treatment is for life"):
        follow_up(
            "nice-ng239", START, route="im", response="improved", cause_addressed=True,
            conditions=["pernicious_anaemia"],
        )  # fmt: skip
    result = follow_up(
        "nice-ng239", START, route="im", response="improved", cause_addressed=True,
        conditions=["coeliac_disease"],
    )  # fmt: skip
    assert [a.rule for a in result.advice] == ["nice_im_cause_resolved"]


def test_stopping_in_pregnancy_or_breastfeeding_comes_with_a_caveat() -> None:
    result = follow_up(
        "nice-ng239", START, route="oral", response="improved", cause_addressed=True,
        pregnant_or_lactating=True,
    )  # fmt: skip
    assert any("discuss with the doctor before stopping" in n.text.en for n in result.notes)
    plain = follow_up("nice-ng239", START, route="oral", response="improved", cause_addressed=True)
    assert not any("before stopping" in n.text.en for n in plain.notes)


def test_nhg_haemoglobin_checks_are_for_anaemia() -> None:
    """Farmacotherapeutisch Kompas (megaloblastic anaemia): check Hb at 4 and 8-10 weeks."""
    anaemic = follow_up("nhg-anemie", START, anaemic=True)
    assert [r.rule for r in anaemic.reviews] == ["nhg_hb_4_weeks", "nhg_hb_8_10_weeks"]
    not_anaemic = follow_up("nhg-anemie", START, anaemic=False)
    assert not_anaemic.reviews == ()
    assert any("no review interval" in n.text.en for n in not_anaemic.notes)


def test_gelderse_vallei_has_follow_up_notes_instead_of_an_error() -> None:
    result = follow_up("gelderse-vallei", START)
    assert result.reviews == () and "no review schedule" in result.notes[0].text.en


def test_nice_workup_asks_for_if_antibodies_before_the_first_injection() -> None:
    case = {"results": [{"test": "b12", "value": 100, "unit": "pmol/L"}]}
    result = workup(case, "nice-ng239")
    assert "if_ab" in {t.test for t in result.next_tests}
    rules = {f.rule for f in result.findings}
    assert {"wu_nice_ifab", "wu_ifab_before_first_injection"} <= rules
