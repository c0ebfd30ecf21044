"""FHIR R4 $interpret: a Bundle read into the case contract, interpreted, and written back.

Validity of what we emit (FHIR.js) is checked in tests/ehr/test_fhir_valid.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cobalamin import default_knowledge
from cobalamin.errors import InputError
from cobalamin.interop.fhir import Interpreter
from cobalamin.interop.fhir_terms import ATC, LOINC, SNOMED, UCUM

pytest.importorskip("fhir.resources")

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
PATIENT_URL = "urn:uuid:6c1d2d1e-0f4e-4a8e-9d59-6f7c0e6c0a01"


@pytest.fixture(scope="module")
def interpreter() -> Interpreter:
    return Interpreter(default_knowledge())


def observation(
    loinc: str, value: float, unit: str, date: str = "2026-05-20", **extra: Any
) -> dict[str, Any]:
    quantity: dict[str, Any] = {"value": value, "unit": unit, "system": UCUM, "code": unit}
    quantity |= extra.pop("quantity", {})
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": loinc}]},
        "subject": {"reference": PATIENT_URL},
        "effectiveDateTime": date,
        "valueQuantity": quantity,
        **extra,
    }


def bundle(*resources: dict[str, Any], patient: dict[str, Any] | None = None) -> dict[str, Any]:
    person = patient or {"resourceType": "Patient", "gender": "female", "birthDate": "1980-07-15"}
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": PATIENT_URL, "resource": person}]
        + [{"resource": r} for r in resources],
    }


def by_type(out: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in out["entry"] if e["resource"]["resourceType"] == kind]


# --- LOINC both ways -------------------------------------------------------------------------


def test_every_loinc_code_maps_back_to_its_test() -> None:
    analytes = default_knowledge().analytes
    for test_id, item in analytes.items():
        for code in item.loinc:
            found = analytes.for_loinc(code.code)
            assert found is not None and found.id == test_id


def test_the_code_we_emit_is_of_the_canonical_units_kind() -> None:
    """Output uses ``loinc[0]``: for a quantitative test it must measure what the canonical
    unit measures (moles for pmol/L, mass for g/L), or the value would be mislabelled."""
    kind_of_unit = {"mol/L": "molar", "g/L": "mass", "fL": "volume"}
    for item in default_knowledge().analytes.values():
        if item.kind != "quantitative":
            continue
        unit = str(item.canonical_unit)
        expected = next(kind for suffix, kind in kind_of_unit.items() if unit.endswith(suffix))
        assert item.loinc[0].unit_kind == expected, item.id


# --- reading ---------------------------------------------------------------------------------


def test_patient_and_observations_become_the_case(interpreter: Interpreter) -> None:
    read = interpreter.read(
        bundle(
            observation("2132-9", 250, "pg/mL"),
            observation("13964-2", 0.52, "umol/L"),
            {"resourceType": "Observation", "status": "final",
             "code": {"coding": [{"system": LOINC, "code": "1234-5"}]},
             "valueQuantity": {"value": 1, "unit": "g/L"}},  # not a test cobalamin reads
        ),
        NOW.date(),
    )  # fmt: skip
    assert read.case == {
        "person": {"sex": "female", "age": 45.0},  # 1980-07-15 to 2026-05-20
        "results": [
            {"test": "b12", "value": 250.0, "unit": "pg/mL"},
            {"test": "mma", "value": 0.52, "unit": "umol/L"},
        ],
        "date": "2026-05-20",
    }
    assert [o.index for o in read.observations] == [1, 2]
    assert read.subject == PATIENT_URL


def test_the_latest_of_two_results_is_read(interpreter: Interpreter) -> None:
    read = interpreter.read(
        bundle(
            observation("14685-2", 300, "pmol/L", "2026-05-20"),
            observation("14685-2", 120, "pmol/L", "2025-01-03"),
        ),
        NOW.date(),
    )
    assert read.case["results"] == [{"test": "b12", "value": 300.0, "unit": "pmol/L"}]


def test_a_comparator_gives_the_censored_text_form(interpreter: Interpreter) -> None:
    read = interpreter.read(
        bundle(observation("14685-2", 50, "pmol/L", quantity={"comparator": "<"})), NOW.date()
    )
    assert read.case["results"] == [{"test": "b12", "value": "<50", "unit": "pmol/L"}]


def test_qualitative_results_by_code_or_word(interpreter: Interpreter) -> None:
    coded = {
        "resourceType": "Observation", "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "31443-5"}]},
        "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "10828004"}]},
    }  # fmt: skip
    worded = {
        "resourceType": "Observation", "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "8087-9"}]},
        "valueString": "Negative",
    }  # fmt: skip
    read = interpreter.read(bundle(coded, worded), NOW.date())
    assert read.case["results"] == [
        {"test": "if_ab", "value": "positive"},
        {"test": "pca_ab", "value": "negative"},
    ]


def test_medications_and_conditions_give_context(interpreter: Interpreter) -> None:
    statement = {
        "resourceType": "MedicationStatement", "status": "active",
        "subject": {"reference": PATIENT_URL},
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "B03BB01"}]},
    }  # fmt: skip
    stopped = {
        "resourceType": "MedicationRequest", "status": "stopped", "intent": "order",
        "subject": {"reference": PATIENT_URL},
        "medicationCodeableConcept": {"text": "Metformin 500 mg tablet"},
    }  # fmt: skip
    condition = {
        "resourceType": "Condition", "subject": {"reference": PATIENT_URL},
        "code": {"text": "Coeliac disease"},
    }  # fmt: skip
    read = interpreter.read(
        bundle(observation("14685-2", 300, "pmol/L"), statement, stopped, condition), NOW.date()
    )
    assert read.case["person"]["medications"] == ["folic_acid"]
    assert read.case["person"]["conditions"] == ["coeliac_disease"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"resourceType": "Patient"}, "resourceType"),
        (bundle(), "Bundle.entry"),
        (
            bundle(observation("14685-2", 300, "mmHg")),
            "Bundle.entry[1].resource.valueQuantity.code",
        ),
        (
            bundle(observation("14685-2", -4, "pmol/L")),
            "Bundle.entry[1].resource.valueQuantity.value",
        ),
        (
            bundle(observation("14685-2", 300, "pmol/L", quantity={"comparator": "~"})),
            "Bundle.entry[1].resource.valueQuantity.comparator",
        ),
        (
            bundle(observation("14685-2", 300, "pmol/L", status="bogus")),
            "Bundle.entry[1].resource.status",
        ),
        (
            bundle(observation("14685-2", 300, "pmol/L", subject={"reference": "Patient/other"})),
            "Bundle.entry[1].resource.subject",
        ),
    ],
)
def test_bad_bundles_name_the_field(interpreter: Interpreter, data: Any, field: str) -> None:
    with pytest.raises(InputError) as caught:
        interpreter.read(data, NOW.date())
    assert caught.value.field == field


def test_a_bundle_inside_parameters_is_read(interpreter: Interpreter) -> None:
    wrapped = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "resource", "resource": bundle(observation("14685-2", 300, "pmol/L"))}
        ],
    }
    assert interpreter.read(wrapped, NOW.date()).case["results"][0]["test"] == "b12"


# --- writing ---------------------------------------------------------------------------------


def test_low_b12_gives_report_interpretation_and_provenance(interpreter: Interpreter) -> None:
    """NICE NG239: "Confirmed deficiency: total B12 less than 180 ng/L (133 pmol/L)"."""
    knowledge = default_knowledge()
    pack = knowledge.pack("nice-ng239")
    out = interpreter.interpret(
        bundle(observation("14685-2", 120, "pmol/L")), pack, lang="en", now=NOW
    )
    assert out["resourceType"] == "Bundle" and out["type"] == "collection"
    (obs,) = by_type(out, "Observation")
    assert obs["interpretation"][0]["coding"][0]["code"] == "L"
    assert "confirmed deficiency" in obs["interpretation"][0]["text"]
    (report,) = by_type(out, "DiagnosticReport")
    assert report["conclusionCode"][0]["coding"][0]["code"] == "likely"
    assert report["conclusion"].startswith(pack.title)
    assert report["result"] == [{"reference": out["entry"][1]["fullUrl"]}]
    (prov,) = by_type(out, "Provenance")
    from cobalamin.version import ENGINE_VERSION

    assert prov["entity"][0]["what"]["identifier"]["value"] == pack.sha256
    assert "nice-ng239" in prov["entity"][0]["what"]["display"]
    assert ENGINE_VERSION in prov["agent"][0]["who"]["display"]
    every_other = {e["fullUrl"] for e in out["entry"][1:-1]}
    assert {t["reference"] for t in prov["target"]} == every_other


def test_conclusion_in_the_requested_language(interpreter: Interpreter) -> None:
    pack = default_knowledge().pack("nice-ng239")
    out = interpreter.interpret(
        bundle(observation("14685-2", 120, "pmol/L")), pack, lang="nl", now=NOW
    )
    (report,) = by_type(out, "DiagnosticReport")
    assert "kans op B12-tekort waarschijnlijk" in report["conclusion"]
    assert "volgens NICE een bevestigd tekort" in report["conclusion"]


def test_reflex_test_is_a_reflex_order(interpreter: Interpreter) -> None:
    """Gelderse Vallei leaflet: "Wanneer uw vitamine B12 waarden tussen de 150 tot 220 pmol/L
    ligt, krijgt u automatisch aanvullend onderzoek." (MMA on the same sample)"""
    pack = default_knowledge().pack("gelderse-vallei")
    out = interpreter.interpret(bundle(observation("14685-2", 180, "pmol/L")), pack, now=NOW)
    (request,) = by_type(out, "ServiceRequest")
    assert request["intent"] == "reflex-order" and request["status"] == "draft"
    assert request["code"]["coding"][0] == {
        "system": LOINC, "code": "13964-2",
        "display": "Methylmalonate [Moles/volume] in Serum or Plasma",
    }  # fmt: skip
    assert request["subject"] == {"reference": PATIENT_URL}


def test_alerts_become_detected_issues(interpreter: Interpreter) -> None:
    """seed 001: "Dokters mogen pas foliumzuur voorschrijven als een B12-tekort met zekerheid
    is uitgesloten of als het tekort behandeld wordt." (folic acid with a likely deficiency)"""
    statement = {
        "resourceType": "MedicationStatement", "status": "active",
        "subject": {"reference": PATIENT_URL},
        "medicationCodeableConcept": {"coding": [{"system": SNOMED, "code": "63718003"}]},
    }  # fmt: skip
    pack = default_knowledge().pack("nice-ng239")
    out = interpreter.interpret(
        bundle(observation("14685-2", 120, "pmol/L"), statement), pack, now=NOW
    )
    (issue,) = by_type(out, "DetectedIssue")
    assert issue["code"]["coding"][0]["code"] == "folic_acid_before_b12"
    assert issue["severity"] == "high"
    assert issue["patient"] == {"reference": PATIENT_URL}


def test_observation_outside_the_pack_uses_the_labs_range(interpreter: Interpreter) -> None:
    hb = observation(
        "718-7", 100, "g/L",
        referenceRange=[{"low": {"value": 120, "unit": "g/L", "system": UCUM, "code": "g/L"}}],
    )  # fmt: skip
    ferritin = observation("2276-4", 30, "ug/L")
    pack = default_knowledge().pack("nice-ng239")
    out = interpreter.interpret(
        bundle(observation("14685-2", 300, "pmol/L"), hb, ferritin), pack, now=NOW
    )
    b12, hb_out, ferritin_out = by_type(out, "Observation")
    assert b12["interpretation"][0]["coding"][0]["code"] == "N"
    assert hb_out["interpretation"][0]["coding"][0]["code"] == "L"
    assert "laboratory's own reference range" in hb_out["interpretation"][0]["text"]
    assert "coding" not in ferritin_out["interpretation"][0]
    assert "Not classified on its own" in ferritin_out["interpretation"][0]["text"]


def test_censored_value_is_interpreted(interpreter: Interpreter) -> None:
    pack = default_knowledge().pack("nice-ng239")
    data = bundle(observation("14685-2", 50, "pmol/L", quantity={"comparator": "<"}))
    out = interpreter.interpret(data, pack, now=NOW)
    (obs,) = by_type(out, "Observation")
    assert obs["valueQuantity"]["comparator"] == "<"
    assert obs["interpretation"][0]["coding"][0]["code"] == "L"
