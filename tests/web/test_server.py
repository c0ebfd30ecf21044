"""The whole server (``cobalamin serve``): web pages, records and EHR services on one app, as
``web.server.build_app`` assembles them."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cobalamin.interop.cds_hooks_feedback import FeedbackItem
from cobalamin.storage.accounts import add_user, create_token
from cobalamin.storage.database import make_engine, make_sessionmaker
from cobalamin.storage.feedback import DatabaseFeedbackStore
from cobalamin.storage.migrate import upgrade
from cobalamin.web.server import build_app
from cobalamin.web.settings import Settings

sys.path.insert(0, str(Path(__file__).parents[1] / "ehr"))
from fhir_validator import assert_valid_r4

PASSWORD = "a long enough test password"
LOW_B12 = {
    "sample_date": "2026-11-20",
    "results": [{"test": "b12", "value": 110, "unit": "pmol/L"}],
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    app = build_app(Settings(data_dir=tmp_path))
    with app.state.records.sessions() as session:
        add_user(session, "lab1", "lab", PASSWORD)
        token = create_token(session, "lab1").token
        session.commit()
    with TestClient(app) as client:
        yield client, token
    app.state.records.engine.dispose()


def test_the_calculators_stay_open_and_records_need_a_login(server: tuple[TestClient, str]) -> None:
    client, token = server
    assert client.get("/health").json() == {"status": "ok"}
    case = {"results": [{"test": "b12", "value": 110, "unit": "pmol/L"}]}
    assert client.post("/api/v1/assess?pack=nice-ng239", json=case).status_code == 200
    assert client.get("/api/v1/patients").status_code == 401
    assert (
        client.get("/api/v1/patients", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )


def test_the_lab_pages_are_behind_the_login(server: tuple[TestClient, str]) -> None:
    client, _ = server
    page = client.get("/lab", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert client.get("/api/v1/jobs/anything").status_code == 401
    assert (
        client.post("/lab", files={"file": ("a.csv", b"sample_id,b12\nA,100\n")}).status_code == 401
    )


def _login(client: TestClient) -> None:
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    data = {"username": "lab1", "password": PASSWORD, "csrf_token": token.group(1), "next": "/lab"}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 303


def test_a_signed_in_upload_needs_the_forms_csrf_token(server: tuple[TestClient, str]) -> None:
    client, _ = server
    _login(client)
    page = client.get("/lab")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert page.status_code == 200 and csrf is not None
    upload = {"file": ("day.csv", b"sample_id,b12\nA,100\n")}
    refused = client.post("/lab", files=upload, data={"pack": "nice-ng239"})
    assert refused.status_code == 403
    accepted = client.post(
        "/lab",
        files=upload,
        data={"pack": "nice-ng239", "csrf_token": csrf.group(1)},
        follow_redirects=False,
    )
    assert accepted.status_code == 303 and accepted.headers["location"].startswith("/lab/jobs/")


def _bundle() -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:6b7a9e60-0000-4000-8000-000000000001",
             "resource": {"resourceType": "Patient", "gender": "female", "birthDate": "1960-01-01"}},
            {"fullUrl": "urn:uuid:6b7a9e60-0000-4000-8000-000000000002",
             "resource": {"resourceType": "Observation", "status": "final",
                          "code": {"coding": [{"system": "http://loinc.org", "code": "14685-2"}]},
                          "valueQuantity": {"value": 110, "unit": "pmol/L",
                                            "system": "http://unitsofmeasure.org", "code": "pmol/L"}}},
        ],
    }  # fmt: skip


def test_fhir_interpret_takes_a_records_bearer_token(server: tuple[TestClient, str]) -> None:
    client, token = server
    assert client.post("/fhir/$interpret?pack=nice-ng239", json=_bundle()).status_code == 401
    answer = client.post(
        "/fhir/$interpret?pack=nice-ng239",
        json=_bundle(),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.text
    kinds = {e["resource"]["resourceType"] for e in answer.json()["entry"]}
    assert {"DiagnosticReport", "Provenance"} <= kinds
    assert client.get("/cds-services").status_code == 200


def test_a_patients_record_exports_as_a_fhir_bundle(tmp_path: Path) -> None:
    app = build_app(Settings(data_dir=tmp_path))
    with app.state.records.sessions() as session:
        add_user(session, "doc", "clinician", PASSWORD)
        token = create_token(session, "doc").token
        session.commit()
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        body = {"identifier": "MRN-77", "birth_date": "1950-05-05", "sex": "female"}
        patient = client.post("/api/v1/patients", json=body, headers=auth).json()["id"]
        assert (
            client.post(
                f"/api/v1/patients/{patient}/results", json=LOW_B12, headers=auth
            ).status_code
            == 201
        )
        export = client.get(f"/api/v1/patients/{patient}/export?format=fhir", headers=auth)
    app.state.records.engine.dispose()
    assert export.status_code == 200 and export.headers["content-type"].startswith(
        "application/fhir+json"
    )
    resources = [e["resource"] for e in export.json()["entry"]]
    assert {r["resourceType"] for r in resources} >= {"Patient", "Observation", "DiagnosticReport"}
    report = next(r for r in resources if r["resourceType"] == "DiagnosticReport")
    assert "likely" in report["conclusion"].lower()
    assert_valid_r4(export.json())


def test_cds_feedback_is_kept_in_the_records_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    upgrade(engine)
    store = DatabaseFeedbackStore(make_sessionmaker(engine))
    item = FeedbackItem("cobalamin-orders", "card-1", "overridden", "2026-11-20T10:00:00Z",
                        override_reason={"code": "x"}, iss="https://ehr.example")  # fmt: skip
    store.add([item, item])  # the same outcome sent twice is kept once
    store.add(
        [FeedbackItem("cobalamin-b12", "card-2", "accepted", "2026-11-20T10:01:00Z", ("s1",))]
    )
    assert store.stored("cobalamin-orders") == [item]
    assert [i.card for i in store.stored()] == ["card-1", "card-2"]
    engine.dispose()
