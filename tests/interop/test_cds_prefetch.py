"""CDS Hooks prefetch: templates from what the pack reads, tokens, and what to do when data
is null, missing or an OperationOutcome (CDS Hooks 2.0, "Prefetch")."""

from __future__ import annotations

from typing import Any

import pytest

from cobalamin import default_knowledge
from cobalamin.interop.cds_hooks_prefetch import (
    MAX_PAGES,
    FetchError,
    PrefetchTemplate,
    PrefetchUnavailable,
    fill_template,
    prefetch_templates,
    resolve_prefetch,
)

TEMPLATES = (
    PrefetchTemplate("patient", "Patient/{{context.patientId}}", True),
    PrefetchTemplate(
        "b12", "Observation?patient={{context.patientId}}&code=http://loinc.org|14685-2", True
    ),
    PrefetchTemplate(
        "medications", "MedicationRequest?patient={{context.patientId}}&status=active", False
    ),
)


def request(
    prefetch: dict[str, Any] | None = None, server: str | None = None, token: str | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": "x",
        "context": {"patientId": "p 1", "userId": "Practitioner/dr-2"},
    }
    if prefetch is not None:
        out["prefetch"] = prefetch
    if server:
        out["fhirServer"] = server
    if token:
        out["fhirAuthorization"] = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 60,
            "scope": "x",
            "subject": "c",
        }
    return out


def test_templates_follow_what_the_pack_and_safety_rules_read() -> None:
    knowledge = default_knowledge()
    for pack_id in knowledge.packs.ids():
        pack = knowledge.pack(pack_id)
        keys = {t.key for t in prefetch_templates(pack, knowledge)}
        reads = set(pack.reads) | set(knowledge.safety.pack.reads)
        assert keys - {"patient", "medications", "conditions"} == reads & set(knowledge.analytes)
        assert ("medications" in keys) == ("medications" in reads)


def test_tokens_are_filled_from_the_context() -> None:
    context = {"patientId": "p 1", "userId": "Practitioner/dr-2", "selections": ["x"]}
    assert fill_template("Patient/{{context.patientId}}", context) == "Patient/p%201"
    assert fill_template("X?performer={{userPractitionerId}}", context) == "X?performer=dr-2"
    assert fill_template("X?p={{userPatientId}}", context) is None  # the user is no Patient
    assert fill_template("X?s={{context.selections}}", context) is None  # not a primitive


def test_sent_data_is_used_and_null_means_no_data() -> None:
    patient = {"resourceType": "Patient", "id": "p1"}
    data = resolve_prefetch(
        TEMPLATES, request({"patient": patient, "b12": None, "medications": None}), None
    )
    assert data == {"patient": patient, "b12": None, "medications": None}


def test_missing_keys_are_fetched_with_the_token() -> None:
    calls: list[tuple[str, str | None]] = []

    def fetch(url: str, token: str | None) -> Any:
        calls.append((url, token))
        return {"resourceType": "Bundle", "entry": []}

    sent = {"patient": {"resourceType": "OperationOutcome"}, "b12": None}  # an error: refetch
    resolve_prefetch(TEMPLATES, request(sent, "https://ehr.test/fhir/", "abc"), fetch)
    assert calls == [
        ("https://ehr.test/fhir/Patient/p%201", "abc"),
        ("https://ehr.test/fhir/MedicationRequest?patient=p%201&status=active", "abc"),
    ]


def test_required_data_that_cannot_be_had_is_412() -> None:
    with pytest.raises(PrefetchUnavailable) as caught:
        resolve_prefetch(TEMPLATES, request({"patient": {"resourceType": "Patient"}}), None)
    assert caught.value.key == "b12"

    def failing(url: str, token: str | None) -> Any:
        raise FetchError("down")

    with pytest.raises(PrefetchUnavailable):
        resolve_prefetch(TEMPLATES, request({}, "https://ehr.test/fhir"), failing)
    optional_only = resolve_prefetch(
        TEMPLATES,
        request({"patient": {"resourceType": "Patient"}, "b12": None}, "https://ehr.test/fhir"),
        failing,
    )
    assert optional_only["medications"] is None  # optional: the service degrades


def test_next_pages_are_followed_on_the_same_server_only() -> None:
    def page(n: int, next_url: str | None) -> dict[str, Any]:
        links = [{"relation": "next", "url": next_url}] if next_url else []
        return {
            "resourceType": "Bundle",
            "link": links,
            "entry": [{"resource": {"resourceType": "Observation", "id": str(n)}}],
        }

    pages = {
        f"https://ehr.test/fhir/p{n}": page(n, f"https://ehr.test/fhir/p{n + 1}")
        for n in range(2, 10)
    }
    pages["https://ehr.test/fhir/p3"] = page(3, "https://elsewhere.test/p4")

    def fetch(url: str, token: str | None) -> Any:
        return pages[url]

    sent = {"patient": {"resourceType": "Patient"}, "medications": None,
            "b12": page(1, "https://ehr.test/fhir/p2")}  # fmt: skip
    data = resolve_prefetch(TEMPLATES, request(sent, "https://ehr.test/fhir"), fetch)
    assert [e["resource"]["id"] for e in data["b12"]["entry"]] == ["1", "2", "3"]
    assert MAX_PAGES >= 3
