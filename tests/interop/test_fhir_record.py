"""A stored record exported as a FHIR Bundle (``record_bundle``, for the records' export)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cobalamin import assess, default_knowledge
from cobalamin.errors import InputError
from cobalamin.interop.fhir_record import record_bundle

pytest.importorskip("fhir.resources")

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def stored_record() -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    knowledge = default_knowledge()
    patient = {"id": "17", "sex": "female", "birth_date": "1984-03-02",
               "identifier": {"system": "urn:example:mrn", "value": "A-1"}}  # fmt: skip
    results = [
        {"test": "b12", "value": 250, "unit": "pg/mL", "date": "2026-01-10"},
        {"test": "b12", "value": 400, "unit": "pmol/L", "date": "2026-05-02"},
        {"test": "if_ab", "value": "positive", "date": "2026-01-10"},
    ]

    def contract(*items: dict[str, Any]) -> dict[str, Any]:
        return {"results": [{k: v for k, v in r.items() if k != "date"} for r in items]}

    first = assess(contract(results[0], results[2]), knowledge.pack("nice-ng239"), knowledge)
    later = assess(contract(results[1]), knowledge.pack("nice-ng239"), knowledge)
    assessments = [
        first.to_dict("en") | {"date": "2026-01-10", "engine_version": "0.0.9"},
        later.to_dict("en") | {"date": "2026-05-02"},
    ]
    return patient, results, assessments


def test_record_bundle_holds_patient_results_and_assessments() -> None:
    patient, results, assessments = stored_record()
    out = record_bundle(patient, results, assessments, knowledge=default_knowledge(), now=NOW)
    kinds = [e["resource"]["resourceType"] for e in out["entry"]]
    assert kinds.count("Observation") == 3 and kinds.count("DiagnosticReport") == 2
    assert kinds.count("Provenance") == 2
    person = out["entry"][0]["resource"]
    assert person == {"resourceType": "Patient", "id": "17", "gender": "female",
                      "birthDate": "1984-03-02",
                      "identifier": [{"system": "urn:example:mrn", "value": "A-1"}]}  # fmt: skip
    b12 = out["entry"][1]["resource"]
    # 250 pg/mL is 184.45 pmol/L (cyanocobalamin 1355.37 g/mol), coded with the molar LOINC
    assert b12["code"]["coding"][0]["code"] == "14685-2"
    assert b12["valueQuantity"]["code"] == "pmol/L"
    assert b12["valueQuantity"]["value"] == pytest.approx(184.45, abs=0.01)
    reports = [
        e["resource"] for e in out["entry"] if e["resource"]["resourceType"] == "DiagnosticReport"
    ]
    same_day = {out["entry"][1]["fullUrl"], out["entry"][3]["fullUrl"]}
    assert {r["reference"] for r in reports[0]["result"]} == same_day
    provenances = [
        e["resource"] for e in out["entry"] if e["resource"]["resourceType"] == "Provenance"
    ]
    assert "0.0.9" in provenances[0]["agent"][0]["who"]["display"]


def test_censored_values_keep_their_comparator() -> None:
    out = record_bundle(
        {"id": "1"},
        [{"test": "b12", "value": "<50", "unit": "pmol/L"}],
        [],
        knowledge=default_knowledge(),
        now=NOW,
    )
    quantity = out["entry"][1]["resource"]["valueQuantity"]
    assert quantity["comparator"] == "<" and quantity["value"] == 50


@pytest.mark.parametrize(
    ("results", "field"),
    [
        ([{"test": "b13", "value": 1, "unit": "pmol/L"}], "results[0].test"),
        ([{"test": "b12", "value": "high", "unit": "pmol/L"}], "results[0].value"),
        ([{"test": "b12", "value": 200, "unit": "mmHg"}], "results[0].unit"),
        ([{"test": "if_ab", "value": "maybe"}], "results[0].value"),
    ],
)
def test_bad_records_name_the_field(results: list[dict[str, Any]], field: str) -> None:
    with pytest.raises(InputError) as caught:
        record_bundle({"id": "1"}, results, [], knowledge=default_knowledge(), now=NOW)
    assert caught.value.field == field
