"""Every Bundle $interpret returns, and every resource type in it, is valid FHIR R4 according
to an independent validator: FHIR.js (npm ``fhir``, bundled R4 4.0.1 definitions)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from fhir_validator import assert_valid_r4, fhirjs, own_problems

from cobalamin import default_knowledge
from cobalamin.errors import InputError
from cobalamin.interop.fhir import Interpreter, operation_outcome
from cobalamin.interop.fhir_terms import ATC, LOINC, SNOMED, UCUM

pytest.importorskip("fhir.resources")

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
EMITTED = {"Bundle", "Patient", "Observation", "DiagnosticReport", "ServiceRequest",
           "DetectedIssue", "Provenance"}  # fmt: skip


def quantity(loinc: str, value: float, unit: str, subject: str = "Patient/p1") -> dict[str, Any]:
    return {
        "resourceType": "Observation", "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}],
        "code": {"coding": [{"system": LOINC, "code": loinc}]},
        "subject": {"reference": subject}, "effectiveDateTime": "2026-05-20",
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
    }  # fmt: skip


def medication(system: str, code: str) -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement", "status": "active",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {"coding": [{"system": system, "code": code}]},
    }  # fmt: skip


PATIENT = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1990-02-01"}
CASES: dict[str, list[dict[str, Any]]] = {
    "low b12": [PATIENT, quantity("14685-2", 110, "pmol/L")],
    "grey b12 (reflex)": [PATIENT, quantity("14685-2", 180, "pmol/L")],
    "normal b12, mma raised": [PATIENT, quantity("2132-9", 400, "pg/mL"), quantity("13964-2", 0.6, "umol/L")],
    "folic acid and anaemia": [
        PATIENT, quantity("14685-2", 160, "pmol/L"), quantity("718-7", 95, "g/L"),
        medication(ATC, "B03BB01"),
    ],
    "biotin, nitrous oxide, holotc": [
        PATIENT, quantity("72160-5", 30, "pmol/L"), medication(SNOMED, "8919000"),
        medication(ATC, "N01AX13"),
    ],
    "antibodies": [
        PATIENT, quantity("14685-2", 100, "pmol/L"),
        {"resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/p1"},
         "code": {"coding": [{"system": LOINC, "code": "31443-5"}]},
         "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "10828004"}]}},
    ],
    "no Patient resource": [quantity("14685-2", 300, "pmol/L", subject="Patient/p9")],
}  # fmt: skip


def bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


def test_the_validator_catches_what_it_should() -> None:
    """A control: FHIR.js is not a rubber stamp (bad code in a required binding, R5 element)."""
    report = fhirjs([
        {"resourceType": "Observation", "status": "bogus", "code": {"text": "x"}},
        {"resourceType": "Bundle", "type": "collection", "issues": {"resourceType": "OperationOutcome"}},
    ])  # fmt: skip
    assert [r["valid"] for r in report] == [False, False]
    assert own_problems({"resourceType": "Bundle", "entry": [{"fullUrl": "", "resource": None}]})


def test_every_interpret_bundle_is_valid_r4() -> None:
    knowledge = default_knowledge()
    interpreter = Interpreter(knowledge)
    outputs = []
    for pack_id, resources, lang in itertools.product(
        knowledge.packs.ids(), CASES.values(), ("en", "nl")
    ):
        out = interpreter.interpret(bundle(resources), knowledge.pack(pack_id), lang=lang, now=NOW)
        outputs.append(out)
    kinds = {e["resource"]["resourceType"] for out in outputs for e in out["entry"]} | {"Bundle"}
    assert kinds == EMITTED  # every type we emit is covered below
    assert_valid_r4(*outputs)


def test_operation_outcome_is_valid_r4() -> None:
    outcome = operation_outcome(
        InputError("Bundle.entry[1].resource.valueQuantity.code", "unknown unit", "pmol/L")
    )
    (report,) = fhirjs([outcome])
    assert report["valid"], report


def test_record_export_is_valid_r4() -> None:
    from cobalamin import assess
    from cobalamin.interop.fhir_record import record_bundle

    knowledge = default_knowledge()
    results = [
        {"test": "b12", "value": 160, "unit": "pmol/L", "date": "2026-01-10"},
        {"test": "hb", "value": 95, "unit": "g/L", "date": "2026-01-10"},
        {"test": "mma", "value": "<0.1", "unit": "umol/L", "date": "2026-01-10"},
        {"test": "pca_ab", "value": "negative", "date": "2026-01-10"},
    ]
    case = {"person": {"sex": "female", "medications": ["folic_acid"]},
            "results": [{k: v for k, v in r.items() if k != "date" and r["test"] != "mma"}
                        for r in results if r["test"] != "mma"]}  # fmt: skip
    assessments = [
        assess(case, knowledge.pack(pack_id), knowledge).to_dict(lang) | {"date": "2026-01-10"}
        for pack_id in knowledge.packs.ids()
        for lang in ("en", "nl")
    ]
    patient = {"id": "17", "sex": "female", "birth_date": "1984-03-02"}
    out = record_bundle(patient, results, assessments, knowledge=knowledge, now=NOW)
    kinds = {e["resource"]["resourceType"] for e in out["entry"]} | {"Bundle"}
    assert kinds == EMITTED
    assert_valid_r4(out)
