"""Medicines recognised in FHIR resources: ATC, SNOMED CT and RxNorm codes from the vocabulary
(each with its verified source), text as the last resort; and the EHR data file's integrity."""

from __future__ import annotations

from typing import Any

import pytest

from cobalamin import default_knowledge
from cobalamin.interop.fhir_medications import MedicationIndex
from cobalamin.interop.fhir_terms import ATC, RXNORM, SNOMED, EhrTerms

KNOWN_SOURCES = {"who-atc-2026", "ch-api-2023", "cds-sandbox-rxnorm"}


@pytest.fixture(scope="module")
def terms() -> EhrTerms:
    return EhrTerms.load(default_knowledge())


@pytest.fixture(scope="module")
def index(terms: EhrTerms) -> MedicationIndex:
    return MedicationIndex(default_knowledge().vocabulary, terms)


def concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding = {"system": system, "code": code} | ({"display": display} if display else {})
    return {"coding": [coding]}


@pytest.mark.parametrize(
    ("system", "code", "expected"),
    [
        (ATC, "B03BB01", {"folic_acid"}),  # WHO ATC: folic acid
        (ATC, "B03AA07", {"iron"}),  # ferrous sulfate, under the group B03A
        (ATC, "B03AD03", {"iron", "folic_acid"}),  # ferrous sulfate and folic acid
        (ATC, "A10BD07", {"metformin"}),  # metformin and sitagliptin
        (ATC, "A02BC02", {"ppi"}),  # pantoprazole
        (ATC, "A02BC08", set()),  # vonoprazan: left out pending clinical review
        (ATC, "N01AX13", {"nitrous_oxide"}),
        (SNOMED, "63718003", {"folic_acid"}),  # Folic acid (substance)
        (SNOMED, "387402000", {"iron"}),  # Ferrous sulfate (substance)
        (SNOMED, "372567009", {"metformin"}),
        (RXNORM, "199318", {"folic_acid"}),  # Folic Acid 5 MG Oral Tablet
        (RXNORM, "404084", {"iron", "folic_acid"}),  # Ferrous fumarate / Folic Acid
        (SNOMED, "999999999", set()),
    ],
)
def test_codes(index: MedicationIndex, system: str, code: str, expected: set[str]) -> None:
    found = index.concept(concept(system, code))
    assert found.ids == expected
    assert not found.by_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Folic Acid 25 MG Oral Tablet", {"folic_acid"}),  # a Sandbox product without our code
        ("Foliumzuur 0,5 mg tablet", {"folic_acid"}),
        ("ferrous gluconate 325 MG Oral Tablet", {"iron"}),
        ("Polysaccharide iron complex 150 MG", {"iron"}),
        ("Vitamin B 12 2.5 MG", {"b12_oral"}),
        ("Esomeprazole 40 mg capsule", {"ppi"}),
        ("Irinotecan 100 mg", set()),  # "iron" only at the start of a word
        ("Paracetamol 500 mg", set()),
    ],
)
def test_text_is_the_last_resort(index: MedicationIndex, text: str, expected: set[str]) -> None:
    found = index.concept({"coding": [{"system": RXNORM, "code": "1", "display": text}]})
    assert found.ids == expected
    assert found.by_text == bool(expected)


def test_a_code_wins_over_text(index: MedicationIndex) -> None:
    found = index.concept(concept(SNOMED, "63718003", "something that mentions iron"))
    assert found.ids == {"folic_acid"} and not found.by_text


def test_b12_route_decides_oral_or_injection(index: MedicationIndex) -> None:
    request = {
        "resourceType": "MedicationRequest",
        "medicationCodeableConcept": concept(ATC, "B03BA03"),  # hydroxocobalamin
        "dosageInstruction": [{"route": {"text": "Intramuscular"}}],
    }
    assert index.resource(request).ids == {"b12_injection"}
    request["dosageInstruction"] = [{"route": {"text": "Oral"}}]
    assert index.resource(request).ids == {"b12_oral"}


def test_medication_reference_is_followed(index: MedicationIndex) -> None:
    contained = {
        "resourceType": "MedicationRequest",
        "contained": [{"resourceType": "Medication", "id": "m", "code": concept(ATC, "B03BB01")}],
        "medicationReference": {"reference": "#m"},
    }
    assert index.resource(contained).ids == {"folic_acid"}
    elsewhere = {
        "resourceType": "MedicationStatement",
        "medicationReference": {"reference": "Medication/x"},
    }
    medication = {"resourceType": "Medication", "code": concept(SNOMED, "3829006")}
    assert index.resource(elsewhere, {"Medication/x": medication}.get).ids == {"iron"}


def test_every_code_names_a_known_source_and_system() -> None:
    for med_id, term in default_knowledge().vocabulary.terms("medications").items():
        for code in term.codes:
            assert code.source in KNOWN_SOURCES, (med_id, code)
            assert code.system in (ATC, SNOMED, RXNORM), (med_id, code)
            assert code.display.strip()


def test_ehr_data_refers_to_what_exists(terms: EhrTerms) -> None:
    knowledge = default_knowledge()
    medications = knowledge.vocabulary.terms("medications")
    assert set(terms.medication_text) <= set(medications)
    assert set(terms.orders) <= set(medications)
    for check in terms.orders.values():
        assert set(check.alerts) <= set(knowledge.alerts)
        if check.unresolved_deficiency is not None:
            assert check.unresolved_deficiency.source in terms.bibliography
    assert set(terms.card_sources.alerts) == set(knowledge.alerts)
    assert set(terms.card_sources.packs) <= set(knowledge.packs.ids())
    for key in [*terms.card_sources.alerts.values(), *terms.card_sources.packs.values()]:
        assert key in terms.bibliography
    assert set(terms.b12_lab_tests) <= set(knowledge.analytes)
    assert set(terms.interpretation.bands.values()) <= set(terms.interpretation.codes)
    assert set(terms.interpretation.qualitative.values()) <= set(terms.interpretation.codes)
