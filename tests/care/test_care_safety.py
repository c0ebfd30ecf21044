"""Safety alerts: each code raised on its source's own example, absent without the trigger."""

from __future__ import annotations

from typing import Any

import pytest

from cobalamin import assess, default_knowledge, load_pack, safety_alerts

CODES = (
    "folic_acid_before_b12",
    "anaemia_workup_before_iron",
    "if_antibodies_breastfeeding",
    "ifab_after_injection",
    "nitrous_oxide",
    "biotin_interference",
    "neurological_urgent",
    "pregnancy_total_b12_falls",
    "vegan_mother_infant",
)


def _b12(value: float) -> dict[str, Any]:
    return {"test": "b12", "value": value, "unit": "pmol/L"}


def _codes(case: dict[str, Any]) -> set[str]:
    """Alerts as ``assess`` returns them (pack rules plus safety rules)."""
    return {a.code for a in assess(case, load_pack("gelderse-vallei")).alerts}


# (code, source example, near-identical case without the trigger)
PAIRS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    # seed 001: folic acid prescribed for a wish to conceive before B12 was measured ...
    (
        "folic_acid_before_b12",
        {"person": {"sex": "female", "age": 29, "medications": ["folic_acid"]}},
        {"person": {"sex": "female", "age": 29, "medications": []}},
    ),
    # ... and folic acid while a B12 deficiency is likely and untreated
    (
        "folic_acid_before_b12",
        {
            "person": {"sex": "female", "age": 29, "medications": ["folic_acid"]},
            "results": [_b12(120)],
        },
        {
            "person": {"sex": "female", "age": 29, "medications": ["folic_acid", "b12_injection"]},
            "results": [_b12(120)],
        },
    ),
    # seed 001: pregnant with anaemia, iron about to be prescribed, no ferritin/B12/folate
    (
        "anaemia_workup_before_iron",
        {
            "person": {"sex": "female", "age": 31, "pregnant": True, "trimester": 2},
            "results": [{"test": "hb", "value": 98, "unit": "g/L"}],
        },
        {
            "person": {"sex": "female", "age": 31, "pregnant": True, "trimester": 2},
            "results": [
                {"test": "hb", "value": 98, "unit": "g/L"},
                {"test": "ferritin", "value": 8, "unit": "ug/L"},
                {"test": "folate", "value": 20, "unit": "nmol/L"},
                _b12(300),
            ],
        },
    ),
    # seed 001 (Veronique): breastfeeding mother, intrinsic factor antibodies found
    (
        "if_antibodies_breastfeeding",
        {
            "person": {"sex": "female", "age": 30, "lactating": True},
            "results": [{"test": "if_ab", "value": "positive"}],
        },
        {
            "person": {"sex": "female", "age": 30, "lactating": False},
            "results": [{"test": "if_ab", "value": "positive"}],
        },
    ),
    # Leeds: IFAB sample three days after an injection
    (
        "ifab_after_injection",
        {
            "person": {"last_b12_injection": "2026-11-02"},
            "date": "2026-11-05",
            "results": [{"test": "if_ab", "value": "positive"}],
        },
        {
            "person": {"last_b12_injection": "2026-10-20"},
            "date": "2026-11-05",
            "results": [{"test": "if_ab", "value": "positive"}],
        },
    ),
    # NICE via Pulse: recreational nitrous oxide with tingling, B12 looks normal
    (
        "nitrous_oxide",
        {
            "person": {"age": 22, "medications": ["nitrous_oxide"], "symptoms": ["paraesthesia"]},
            "results": [_b12(300)],
        },
        {
            "person": {"age": 22, "medications": [], "symptoms": ["paraesthesia"]},
            "results": [_b12(300)],
        },
    ),
    # Labcorp/Allina: biotin supplement user having an immunoassay
    (
        "biotin_interference",
        {"person": {"medications": ["biotin"]}, "results": [_b12(300)]},
        {"person": {"medications": []}, "results": [_b12(300)]},
    ),
    # NICE/CKS: neurological involvement with a low B12
    (
        "neurological_urgent",
        {
            "person": {"age": 60, "symptoms": ["paraesthesia", "poor_coordination"]},
            "results": [_b12(100)],
        },
        {
            "person": {"age": 60, "symptoms": ["paraesthesia", "poor_coordination"]},
            "results": [_b12(300)],
        },
    ),
    # seed 001: total B12 measured in a normal pregnancy
    (
        "pregnancy_total_b12_falls",
        {"person": {"sex": "female", "pregnant": True, "trimester": 3}, "results": [_b12(180)]},
        {"person": {"sex": "female", "pregnant": False}, "results": [_b12(180)]},
    ),
    # seed 002: breastfed infant of a vegan mother
    (
        "vegan_mother_infant",
        {"person": {"sex": "female", "lactating": True, "diet": "vegan"}, "results": [_b12(300)]},
        {
            "person": {"sex": "female", "lactating": True, "diet": "omnivore"},
            "results": [_b12(300)],
        },
    ),
    # seed 001: breastfeeding mother with a (severe) deficiency
    (
        "vegan_mother_infant",
        {"person": {"sex": "female", "lactating": True, "diet": "omnivore"}, "results": [_b12(90)]},
        {
            "person": {"sex": "female", "lactating": True, "diet": "omnivore"},
            "results": [_b12(300)],
        },
    ),
]


@pytest.mark.parametrize(("code", "example", "without"), PAIRS)
def test_alert_raised_on_example_and_absent_without_trigger(
    code: str, example: dict[str, Any], without: dict[str, Any]
) -> None:
    assert code in _codes(example)
    assert code not in _codes(without)


def test_every_required_code_has_a_pair_and_a_catalogue_entry() -> None:
    assert set(CODES) <= {code for code, _, _ in PAIRS}
    catalogue = default_knowledge().alerts
    for code in CODES:
        entry = catalogue[code]
        assert entry.text.en and entry.text.nl and entry.source_ids
        assert set(entry.source_ids) <= set(default_knowledge().sources)
        assert entry.level in ("info", "warning", "critical")


def test_every_required_code_is_raised_by_some_safety_rule() -> None:
    raised = {
        code
        for table in default_knowledge().safety.pack.tables
        for r in table.rules
        for code in r.alerts
    }
    assert set(CODES) <= raised


def test_every_safety_rule_names_a_source_read_in_the_document_or_a_summary() -> None:
    rules = default_knowledge().safety
    bibliography = default_knowledge().sources
    for table in rules.pack.tables:
        for rule in table.rules:
            if rule.alerts:
                assert rule.sources and rule.statement
                for source in rule.sources:
                    reference = bibliography[source]
                    assert reference.convention or reference.evidence in ("VERIFIED", "SECONDARY")


def test_hb_in_mmol_per_litre_from_the_seed_story() -> None:
    """Veronique's Hb of 4.5 (mmol/L) with iron prescribed and no B12 measured."""
    case = {
        "person": {"sex": "female", "age": 33, "medications": ["iron"]},
        "results": [{"test": "hb", "value": 4.5, "unit": "mmol/L"}],
    }
    assert "anaemia_workup_before_iron" in {a.code for a in safety_alerts(case)}


def test_no_injection_date_or_sample_date_means_no_ifab_alert() -> None:
    case = {
        "person": {"last_b12_injection": "2026-11-02"},
        "results": [{"test": "if_ab", "value": "negative"}],
    }
    assert "ifab_after_injection" not in {a.code for a in safety_alerts(case)}


def test_alerts_are_deduplicated_by_code() -> None:
    case = {
        "person": {"sex": "female", "age": 31, "pregnant": True},
        "results": [{"test": "hb", "value": 98, "unit": "g/L"}],
    }
    codes = [a.code for a in assess(case, load_pack("gelderse-vallei")).alerts]
    assert len(codes) == len(set(codes))
    assert codes.count("anaemia_workup_before_iron") == 1


def test_safety_alerts_without_a_pack_skip_rules_that_need_its_conclusion() -> None:
    case = {"person": {"symptoms": ["paraesthesia"]}, "results": [_b12(100)]}
    assert "neurological_urgent" not in {a.code for a in safety_alerts(case)}
    assert "neurological_urgent" in {a.code for a in safety_alerts(case, {"deficiency": "likely"})}
