"""``POST /fhir/$interpret`` over HTTP: the records' bearer token, the pack, the language, and
errors as OperationOutcome."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import TOKEN
from fhir_validator import assert_valid_r4

from cobalamin.interop.fhir_terms import LOINC, UCUM

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def bundle(value: float = 110, unit: str = "pmol/L") -> dict[str, Any]:
    return {
        "resourceType": "Bundle", "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:0b7b1a6e-8a44-4a55-9f0d-2a1b3c4d5e6f",
             "resource": {"resourceType": "Patient", "gender": "male", "birthDate": "1961-09-30"}},
            {"resource": {"resourceType": "Observation", "status": "final",
                          "code": {"coding": [{"system": LOINC, "code": "14685-2"}]},
                          "subject": {"reference": "urn:uuid:0b7b1a6e-8a44-4a55-9f0d-2a1b3c4d5e6f"},
                          "effectiveDateTime": "2026-04-11",
                          "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit}}},
        ],
    }  # fmt: skip


@pytest.fixture
def client(make_service: Any) -> Any:
    return make_service().client


def test_no_token_no_interpretation(client: Any) -> None:
    assert client.post("/fhir/$interpret?pack=nice-ng239", json=bundle()).status_code == 401
    wrong = {"Authorization": "Bearer someone-else"}
    assert (
        client.post("/fhir/$interpret?pack=nice-ng239", json=bundle(), headers=wrong).status_code
        == 401
    )


def test_interpret_returns_a_valid_r4_bundle(client: Any) -> None:
    answer = client.post(
        "/fhir/$interpret?pack=nice-ng239", json=bundle(),
        headers=AUTH | {"Content-Type": "application/fhir+json"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/fhir+json")
    out = answer.json()
    kinds = [e["resource"]["resourceType"] for e in out["entry"]]
    assert kinds == ["Patient", "Observation", "DiagnosticReport", "Provenance"]
    assert_valid_r4(out)


@pytest.mark.parametrize(
    ("query", "header", "words"),
    [
        ("&lang=nl", {}, "kans op B12-tekort waarschijnlijk"),
        ("", {"Accept-Language": "nl-BE, en;q=0.5"}, "kans op B12-tekort waarschijnlijk"),
        ("", {"Accept-Language": "fr"}, "B12 deficiency likely"),
        ("&lang=en", {"Accept-Language": "nl"}, "B12 deficiency likely"),
    ],
)
def test_conclusion_language(client: Any, query: str, header: dict[str, str], words: str) -> None:
    answer = client.post(
        f"/fhir/$interpret?pack=nice-ng239{query}", json=bundle(), headers=AUTH | header
    )
    report = next(
        e["resource"]
        for e in answer.json()["entry"]
        if e["resource"]["resourceType"] == "DiagnosticReport"
    )
    assert words in report["conclusion"]


def test_errors_are_operation_outcomes(client: Any) -> None:
    bad_unit = client.post(
        "/fhir/$interpret?pack=nice-ng239", json=bundle(unit="mmHg"), headers=AUTH
    )
    assert bad_unit.status_code == 422
    issue = bad_unit.json()["issue"][0]
    assert issue["expression"] == ["Bundle.entry[1].resource.valueQuantity.code"]
    assert "pmol/L" in issue["diagnostics"]  # what would do
    no_pack = client.post("/fhir/$interpret", json=bundle(), headers=AUTH)
    assert no_pack.status_code == 422
    assert "nice-ng239" in no_pack.json()["issue"][0]["diagnostics"]
    unknown_pack = client.post("/fhir/$interpret?pack=nope", json=bundle(), headers=AUTH)
    assert unknown_pack.status_code == 422
    not_json = client.post("/fhir/$interpret?pack=nice-ng239", content=b"{", headers=AUTH)
    assert not_json.status_code == 400
    for answer in (bad_unit, no_pack, unknown_pack, not_json):
        assert answer.json()["resourceType"] == "OperationOutcome"
