"""Safety alerts: each code raised on its source's own example, absent without the trigger;
the tests each alert asks for reach the next tests; nothing tells a pregnant woman to stop or
withhold folic acid."""

from __future__ import annotations

from typing import Any

import pytest

from cobalamin import assess, default_knowledge, load_pack, safety_alerts

CODES = (
    "folic_acid_before_b12",
    "folic_acid_pregnancy_check_b12",
    "folic_acid_preconception_b12",
    "anaemia_sex_unknown",
    "child_neurological_b12",
    "ifab_positive_b12_not_low",
    "nitrous_oxide_neurological",
    "neurological_result_not_low",
    "b12_result_on_treatment",
    "mma_kidney_disease",
    "hcy_low_folate",
    "b12_high_not_on_treatment",
    "mma_in_pregnancy",
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
    # Coventry and Rugby: "Care should be taken when prescribing folic acid alone" ...
    (
        "folic_acid_before_b12",
        {"person": {"sex": "female", "age": 29, "medications": ["folic_acid"]}},
        {"person": {"sex": "female", "age": 29, "medications": []}},
    ),
    # Stichting B12 Tekort / Gezondheidsraad: pregnant and taking folic acid, B12 not measured
    (
        "folic_acid_pregnancy_check_b12",
        {"person": {"sex": "female", "age": 29, "pregnant": True, "medications": ["folic_acid"]}},
        {"person": {"sex": "female", "age": 29, "pregnant": True, "medications": []}},
    ),
    # ... and while the pack finds a deficiency likely or possible
    (
        "folic_acid_pregnancy_check_b12",
        {
            "person": {"sex": "female", "pregnant": True, "medications": ["folic_acid"]},
            "results": [_b12(200)],
        },
        {
            "person": {"sex": "female", "pregnant": True, "medications": ["folic_acid"]},
            "results": [_b12(400)],
        },
    ),
    # Stichting B12 Tekort: "Het is zaak om dan de B12-waarde te laten meten ..."
    (
        "folic_acid_preconception_b12",
        {"person": {"sex": "female", "age": 29, "wish_to_conceive": True}},
        {"person": {"sex": "female", "age": 29, "wish_to_conceive": True}, "results": [_b12(400)]},
    ),
    # WHO: 125 g/L is anaemia for a man (below 13.0 g/dL), not for a woman (12.0 g/dL)
    (
        "anaemia_sex_unknown",
        {"person": {"age": 40}, "results": [{"test": "hb", "value": 125, "unit": "g/L"}]},
        {"person": {"age": 40}, "results": [{"test": "hb", "value": 135, "unit": "g/L"}]},
    ),
    # Gelderse Vallei: a child with neurological signs, without anaemia
    (
        "child_neurological_b12",
        {"person": {"age": 2, "symptoms": ["developmental_delay"]}, "results": [_b12(300)]},
        {"person": {"age": 2, "symptoms": []}, "results": [_b12(300)]},
    ),
    # BSH via NASGP: high-titre IF antibodies can make B12 read falsely normal
    (
        "ifab_positive_b12_not_low",
        {"results": [_b12(300), {"test": "if_ab", "value": "positive"}]},
        {"results": [_b12(300), {"test": "if_ab", "value": "negative"}]},
    ),
    # NASGP/Pulse on NICE: normal testing won't pick nitrous-oxide deficiency up
    (
        "nitrous_oxide_neurological",
        {
            "person": {"medications": ["nitrous_oxide"], "symptoms": ["paraesthesia"]},
            "results": [_b12(400)],
        },
        {
            "person": {"medications": ["nitrous_oxide"], "symptoms": ["fatigue"]},
            "results": [_b12(400)],
        },
    ),
    # BSH key recommendation 4: a borderline result with neurological symptoms
    (
        "neurological_result_not_low",
        {"person": {"symptoms": ["paraesthesia"]}, "results": [_b12(180)]},
        {"person": {"symptoms": ["fatigue"]}, "results": [_b12(180)]},
    ),
    # BNSSG, Saltro, NICE 1.1.3: B12 measured during B12 treatment
    (
        "b12_result_on_treatment",
        {"person": {"medications": ["b12_injection"]}, "results": [_b12(1500)]},
        {"person": {"medications": []}, "results": [_b12(300)]},
    ),
    # Practical Neurology: renal disease raises MMA
    (
        "mma_kidney_disease",
        {
            "person": {"conditions": ["kidney_disease"]},
            "results": [_b12(300), {"test": "mma", "value": 0.6, "unit": "umol/L"}],
        },
        {
            "person": {"conditions": []},
            "results": [_b12(300), {"test": "mma", "value": 0.6, "unit": "umol/L"}],
        },
    ),
    # Practical Neurology: folate deficiency raises homocysteine
    (
        "hcy_low_folate",
        {
            "results": [
                {"test": "hcy", "value": 30, "unit": "umol/L"},
                {"test": "folate", "value": 3, "unit": "nmol/L"},
            ]
        },
        {
            "results": [
                {"test": "hcy", "value": 30, "unit": "umol/L"},
                {"test": "folate", "value": 20, "unit": "nmol/L"},
            ]
        },
    ),
    # North Bristol / RUH Bath: > 914 ng/L is high
    (
        "b12_high_not_on_treatment",
        {"results": [{"test": "b12", "value": 1000, "unit": "ng/L"}]},
        {"results": [{"test": "b12", "value": 914, "unit": "ng/L"}]},
    ),
    # Metz 1995: MMA raised in a third of pregnant women regardless of B12 status
    (
        "mma_in_pregnancy",
        {
            "person": {"sex": "female", "pregnant": True},
            "results": [{"test": "mma", "value": 0.5, "unit": "umol/L"}],
        },
        {
            "person": {"sex": "female", "pregnant": False},
            "results": [{"test": "mma", "value": 0.5, "unit": "umol/L"}],
        },
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
    # Stichting B12 Tekort: pregnant with anaemia, iron about to be prescribed, no ferritin/B12/folate
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
    # Stichting B12 Tekort (Veronique): breastfeeding mother, intrinsic factor antibodies found
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
    # Stichting B12 Tekort: total B12 measured in a normal pregnancy
    (
        "pregnancy_total_b12_falls",
        {"person": {"sex": "female", "pregnant": True, "trimester": 3}, "results": [_b12(180)]},
        {"person": {"sex": "female", "pregnant": False}, "results": [_b12(180)]},
    ),
    # Belgian review: breastfed infant of a vegan mother
    (
        "vegan_mother_infant",
        {"person": {"sex": "female", "lactating": True, "diet": "vegan"}, "results": [_b12(300)]},
        {
            "person": {"sex": "female", "lactating": True, "diet": "omnivore"},
            "results": [_b12(300)],
        },
    ),
    # Stichting B12 Tekort: breastfeeding mother with a (severe) deficiency
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


def _next(case: dict[str, Any], pack: str = "gelderse-vallei") -> list[str]:
    return [t.test for t in assess(case, load_pack(pack)).next_tests]


@pytest.mark.parametrize(
    "pack",
    ["nice-ng239", "nhg-anemie", "bsh-2014", "be-review", "gelderse-vallei", "b12-tekort-nl"],
)
def test_anaemia_asks_for_ferritin_b12_and_folate_under_every_pack(pack: str) -> None:
    """Stichting B12 Tekort: 'Vraag dan om de ferritine (ijzervoorraad), B12 en foliumzuur te
    laten meten' - in pregnancy active B12, which does not fall."""
    pregnant = {
        "person": {"sex": "female", "pregnant": True},
        "results": [{"test": "hb", "value": 100, "unit": "g/L"}],
    }
    assert {"ferritin", "holotc", "folate"} <= set(_next(pregnant, pack))
    woman = {
        "person": {"sex": "female", "age": 40},
        "results": [{"test": "hb", "value": 100, "unit": "g/L"}, _b12(300)],
    }
    assert {"ferritin", "folate"} <= set(_next(woman, pack))
    assert "b12" not in _next(woman, pack)  # measured: never advised again


@pytest.mark.parametrize(
    ("person", "hb", "anaemia"),
    [
        ({"sex": "female", "age": 8}, 100, True),  # WHO 5-11 y: below 11.5 g/dL
        ({"sex": "female", "age": 8}, 115, False),
        ({"sex": "male", "age": 14}, 115, True),  # WHO 12-14 y: below 12.0 g/dL
        ({"sex": "male", "age": 14}, 120, False),
        ({"age": 3}, 105, True),  # WHO 6-59 months: below 11.0 g/dL, sex not needed
        ({"age": 3}, 110, False),
        ({"age": 0.3}, 95, False),  # no WHO threshold below 6 months: not called anaemia
        ({"age": 40}, 115, True),  # sex unknown: below the women's 12.0 g/dL
        ({"age": 40}, 125, False),  # between: 'possible' (alert anaemia_sex_unknown)
        ({"sex": "male", "age": 15}, 125, True),
        ({"sex": "female", "age": 15}, 125, False),
    ],
)
def test_anaemia_thresholds_follow_who_by_age_and_sex(
    person: dict[str, Any], hb: float, anaemia: bool
) -> None:
    case = {"person": person, "results": [{"test": "hb", "value": hb, "unit": "g/L"}]}
    codes = {a.code for a in safety_alerts(case)}
    assert ("anaemia_workup_before_iron" in codes) is anaemia


@pytest.mark.parametrize(
    ("case", "tests"),
    [
        ({"person": {"medications": ["nitrous_oxide"]}, "results": [_b12(400)]}, {"hcy", "mma"}),
        ({"person": {"medications": ["nitrous_oxide"]}, "results": [_b12(400), {"test": "hcy", "value": 30, "unit": "umol/L"}]}, {"folate"}),
        ({"person": {"medications": ["folic_acid"]}}, {"b12", "folate"}),
        ({"person": {"pregnant": True, "medications": ["folic_acid"]}}, {"holotc"}),
        ({"person": {"wish_to_conceive": True}}, {"b12", "folate"}),
        ({"person": {"pregnant": True}, "results": [_b12(180)]}, {"holotc"}),
        ({"results": [_b12(300), {"test": "if_ab", "value": "positive"}]}, {"mma"}),
        ({"person": {"symptoms": ["paraesthesia"]}, "results": [_b12(180)]}, {"mma"}),
        ({"person": {"age": 2, "symptoms": ["developmental_delay"]}}, {"b12"}),
        ({"person": {"lactating": True, "diet": "vegan"}}, {"b12"}),
    ],
)  # fmt: skip
def test_every_alert_that_names_a_test_adds_it_to_the_next_tests(
    case: dict[str, Any], tests: set[str]
) -> None:
    assert tests <= set(_next(case))


PREGNANT_ON_FOLIC_ACID = [
    {"person": {"sex": "female", "pregnant": True, "trimester": 1, "medications": ["folic_acid"]}},
    {"person": {"sex": "female", "pregnant": True, "medications": ["folic_acid"]}, "results": [_b12(120)]},
    {"person": {"sex": "female", "pregnant": True, "medications": ["folic_acid"]}, "results": [_b12(200)]},
    {"person": {"sex": "female", "pregnant": True, "wish_to_conceive": True, "medications": ["folic_acid"]}},
]  # fmt: skip


@pytest.mark.parametrize("case", PREGNANT_ON_FOLIC_ACID)
@pytest.mark.parametrize("pack", ["nice-ng239", "nhg-anemie", "b12-tekort-nl"])
def test_a_pregnant_woman_is_never_told_to_stop_or_withhold_folic_acid(
    case: dict[str, Any], pack: str
) -> None:
    result = assess(case, load_pack(pack))
    codes = {a.code for a in result.alerts}
    assert "folic_acid_pregnancy_check_b12" in codes
    assert not {"folic_acid_before_b12", "folic_acid_preconception_b12"} & codes
    keep = next(a for a in result.alerts if a.code == "folic_acid_pregnancy_check_b12")
    assert "keep taking it" in keep.text.en and "blijf het gebruiken" in keep.text.nl
    for lang in ("en", "nl"):
        words = " ".join(a.text.get(lang) for a in result.alerts)
        words += " ".join(f.full_text(lang) for f in result.findings)
        for harmful in ("start folic acid only", "do not start folic acid", "on your own",
                        "pas als een tekort is uitgesloten", "op eigen houtje"):  # fmt: skip
            assert harmful not in words


def test_the_preconception_advice_is_labelled_as_the_patient_associations() -> None:
    alert = default_knowledge().alerts["folic_acid_preconception_b12"]
    assert "Patient-association advice (Stichting B12 Tekort)" in alert.text.en
    assert "Advies van de patiëntenvereniging (Stichting B12 Tekort)" in alert.text.nl
    assert "Official Dutch advice" in alert.text.en  # next to the Gezondheidsraad's own advice
