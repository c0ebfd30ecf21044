"""Screening per guideline; NICE and NHG disagree on metformin plus fatigue."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cobalamin import default_knowledge, load_pack, screen, screen_all, screening_pack_ids
from cobalamin.care.screening import OUTPUTS
from cobalamin.errors import InputError, KnowledgeError, PackError
from cobalamin.knowledge.care_rules import parse_care_rules


def _by_pack(person: dict[str, object]) -> dict[str, object]:
    return {s.pack: s for s in screen_all(person)}


def test_nice_and_nhg_disagree_on_one_symptom_plus_metformin() -> None:
    person = {
        "age": 62,
        "medications": [{"id": "metformin", "months": 36}],
        "symptoms": ["fatigue"],
    }
    nice = screen(person, "nice-ng239")
    nhg = screen(person, "nhg-anemie")
    assert (nice.test_now, nice.first_test) == ("yes", "b12")
    assert nhg.test_now == "no"
    assert "BMJ 2024;385:q1019" in nice.decided_by.source
    assert "bmj-2024-nice-ng239-summary" in nice.decided_by.source_ids
    assert nhg.decided_by.source_ids == ("nhg-lesa-b12-2018",)
    assert "Laboratoriumdiagnostiek Vitamine B12-deficiëntie (LESA)" in nhg.decided_by.source
    assert nhg.decided_by.rule == "nhg_no_routine_metformin_acid_blocker"


def test_nhg_advises_against_routine_testing_for_a_ppi_alone() -> None:
    assert screen({"medications": ["ppi"]}, "nhg-anemie").test_now == "no"
    assert (
        screen({"medications": ["ppi"], "symptoms": ["paraesthesia"]}, "nhg-anemie").test_now
        == "consider"
    )


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ({"symptoms": ["fatigue"], "diet": "vegan"}, ("yes", "b12", "not_stated")),
        (
            {"symptoms": ["paraesthesia"], "medications": ["nitrous_oxide"]},
            ("yes", "hcy", "not_stated"),
        ),
        (
            {"sex": "female", "pregnant": True, "symptoms": ["fatigue"], "diet": "vegan"},
            ("yes", "holotc", "not_stated"),
        ),
        ({"conditions": ["gastric_bypass"]}, ("no", "none", "if_symptoms")),
        ({"medications": ["metformin"]}, ("no", "none", "periodic")),
        ({"symptoms": ["fatigue"]}, ("no", "none", "none")),
        ({}, ("no", "none", "none")),
        (
            {"symptoms": ["depression"], "conditions": ["type1_diabetes"]},
            ("yes", "b12", "not_stated"),
        ),
    ],
)
def test_nice_rules(person: dict[str, object], expected: tuple[str, str, str]) -> None:
    result = screen(person, "nice-ng239")
    assert (result.test_now, result.first_test, result.retest) == expected


def test_be_review_screens_bariatric_patients_wishing_to_conceive() -> None:
    result = screen(
        {"sex": "female", "conditions": ["sleeve_gastrectomy"], "wish_to_conceive": True},
        "be-review",
    )
    assert result.test_now == "yes"
    assert result.decided_by.rule == "be_bariatric_wish_to_conceive"


def test_seed_001_tests_before_folic_acid_for_a_wish_to_conceive() -> None:
    result = screen({"sex": "female", "wish_to_conceive": True}, "b12-tekort-nl")
    assert result.test_now == "yes"
    assert "folic_acid_preconception_b12" in {a.code for a in result.alerts}


def test_gelderse_vallei_children_neurological() -> None:
    result = screen({"age": 1, "symptoms": ["developmental_delay"]}, "gelderse-vallei")
    assert result.test_now == "consider"


def test_screen_accepts_a_pack_object_and_returns_alerts() -> None:
    result = screen({"medications": ["nitrous_oxide"]}, load_pack("gelderse-vallei"))
    assert result.pack == "gelderse-vallei"
    assert "nitrous_oxide" in {a.code for a in result.alerts}


def test_screen_all_puts_nice_and_nhg_first_and_every_output_is_allowed() -> None:
    ids = screening_pack_ids()
    assert ids[:2] == ["nice-ng239", "nhg-anemie"]
    for result in screen_all({"symptoms": ["fatigue"], "medications": ["metformin"]}):
        assert result.test_now in OUTPUTS["test_now"]
        assert result.first_test in OUTPUTS["first_test"]
        assert result.retest in OUTPUTS["retest"]
        assert result.decided_by.source


def test_unknown_screening_pack_lists_the_allowed_ones() -> None:
    with pytest.raises(InputError) as caught:
        screen({}, "no-such-pack")
    assert "nice-ng239" in str(caught.value)


def test_unknown_medication_is_an_input_error_listing_allowed() -> None:
    with pytest.raises(InputError) as caught:
        screen({"medications": ["aspirin"]}, "nice-ng239")
    assert "metformin" in str(caught.value)


def _nice_raw() -> dict[str, object]:
    path = Path(__file__).parents[2] / "src/cobalamin/data/screening/nice-ng239.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_loader_errors_name_file_table_rule_and_field() -> None:
    raw = _nice_raw()
    raw["tables"][0]["rules"][0]["when"] = {"no_such_fact": True}  # type: ignore[index]
    with pytest.raises(PackError) as caught:
        parse_care_rules(
            raw, "screening/bad.yaml", default_knowledge().rule_catalogues, tuple(OUTPUTS)
        )
    assert "screening/bad.yaml: tables[nice_risk].rules[nice_risk_diet].when.no_such_fact" in str(
        caught.value
    )


def test_loader_refuses_a_source_id_that_is_not_in_the_bibliography() -> None:
    raw = _nice_raw()
    raw["sources"].append("nice-ng999")  # type: ignore[union-attr]
    with pytest.raises(KnowledgeError, match=r"sources\[\d+\]: unknown source id 'nice-ng999'"):
        parse_care_rules(
            raw, "screening/bad.yaml", default_knowledge().rule_catalogues, tuple(OUTPUTS)
        )


def test_loader_requires_the_screening_outputs() -> None:
    raw = _nice_raw()
    raw["tables"] = raw["tables"][:2]  # type: ignore[index]
    with pytest.raises(KnowledgeError, match="no table sets test_now"):
        parse_care_rules(
            raw, "screening/bad.yaml", default_knowledge().rule_catalogues, tuple(OUTPUTS)
        )


def test_loader_finds_gaps_in_first_tables() -> None:
    raw = _nice_raw()
    raw["tables"][2]["rules"] = raw["tables"][2]["rules"][:-1]  # type: ignore[index]
    with pytest.raises(PackError, match="gap"):
        parse_care_rules(
            raw, "screening/bad.yaml", default_knowledge().rule_catalogues, tuple(OUTPUTS)
        )


def test_nice_does_not_cover_children() -> None:
    """NICE NG239: 'Vitamin B12 deficiency in over 16s'; the draft: 'people aged 16 and over'."""
    child = screen({"age": 10, "symptoms": ["developmental_delay"], "diet": "vegan"}, "nice-ng239")
    assert (child.test_now, child.decided_by.rule) == ("not_covered", "nice_under_16")
    assert "paediatric advice" in child.decided_by.text.en
    assert (
        screen({"age": 15.9, "diet": "vegan", "symptoms": ["fatigue"]}, "nice-ng239").test_now
        == "not_covered"
    )
    assert (
        screen({"age": 16, "diet": "vegan", "symptoms": ["fatigue"]}, "nice-ng239").test_now
        == "yes"
    )


def test_nice_neurological_symptoms_without_a_risk_factor_are_not_dismissed() -> None:
    """Pulse: 'clinical judgement often leads to testing of those with symptoms who may not fall
    into a typical at-risk group'."""
    result = screen({"symptoms": ["paraesthesia"]}, "nice-ng239")
    assert result.test_now == "no" and result.decided_by.rule == "nice_neurological_no_risk"
    assert "does not forbid a test" in result.decided_by.text.en
    assert "consider other causes" not in result.decided_by.text.en


@pytest.mark.parametrize("pack", ["nice-ng239", "nhg-anemie"])
def test_no_screening_test_for_someone_already_on_b12_treatment(pack: str) -> None:
    """BNSSG: do not send requests for B12 levels for patients on long-term replacement;
    NHG-Standpunt: checking the level during treatment is generally not useful."""
    person = {"medications": ["b12_injection"], "symptoms": ["paraesthesia"], "diet": "vegan"}
    result = screen(person, pack)
    assert result.test_now == "no"
    assert "do not stop treatment" in result.decided_by.text.en


def test_a_pregnant_woman_on_folic_acid_is_told_to_keep_taking_it() -> None:
    result = screen(
        {"sex": "female", "pregnant": True, "medications": ["folic_acid"]}, "b12-tekort-nl"
    )
    assert (result.test_now, result.first_test) == ("yes", "holotc")
    assert "keep taking folic acid" in result.decided_by.text.en
    assert "blijf foliumzuur gebruiken" in result.decided_by.text.nl
    assert "folic_acid_pregnancy_check_b12" in {a.code for a in result.alerts}


def test_nhg_counts_leg_weakness_and_visual_disturbance_as_neurological() -> None:
    """LESA: 'neurologische symptomen (met name paresthesieën en ataxie)' - 'met name' is not
    'only'."""
    assert screen({"symptoms": ["leg_weakness"]}, "nhg-anemie").test_now == "consider"
    assert screen({"symptoms": ["visual_disturbance"]}, "nhg-anemie").test_now == "consider"
    assert screen({"symptoms": ["fatigue"]}, "nhg-anemie").test_now == "no"


@pytest.mark.parametrize("pack", ["gelderse-vallei", "be-review"])
def test_sources_with_total_b12_cut_offs_ask_for_total_b12(pack: str) -> None:
    person = {"symptoms": ["paraesthesia"], "diet": "vegan", "conditions": ["gastric_bypass"]}
    assert screen(person, pack).first_test == "total_b12"


def test_nice_risk_factors_include_radiotherapy_and_family_autoimmunity() -> None:
    """Pulse (NICE Box 1): 'radiotherapy to the abdomen or pelvis'; 'a family history of vitamin
    B12 deficiency or autoimmune conditions'."""
    for condition in ("abdominal_pelvic_radiotherapy", "family_history_autoimmune"):
        result = screen({"conditions": [condition], "symptoms": ["fatigue"]}, "nice-ng239")
        assert result.test_now == "yes", condition
