"""The records API on SQLite and PostgreSQL: authentication, roles, patients, results assessed
under the patient's pack, plans, doses, timeline, export, erasure and the audit trail."""

from __future__ import annotations

import datetime as dt

from records_helpers import RecordsSite

from cobalamin import default_knowledge
from cobalamin.care.followup import follow_up
from cobalamin.care.treatment import plan
from cobalamin.pipeline import assess
from cobalamin.version import ENGINE_VERSION

RESULTS = [
    {"test": "b12", "value": 120, "unit": "pmol/L"},
    {"test": "hb", "value": 105, "unit": "g/L"},
]


def test_every_route_answers_401_without_a_token_or_session(site: RecordsSite) -> None:
    patient_id = site.patient()
    routes = [
        ("post", "/api/v1/patients"),
        ("get", "/api/v1/patients"),
        ("get", f"/api/v1/patients/{patient_id}"),
        ("patch", f"/api/v1/patients/{patient_id}"),
        ("delete", f"/api/v1/patients/{patient_id}"),
        ("post", f"/api/v1/patients/{patient_id}/results"),
        ("post", f"/api/v1/patients/{patient_id}/plans"),
        ("post", f"/api/v1/patients/{patient_id}/doses"),
        ("get", f"/api/v1/patients/{patient_id}/timeline"),
        ("get", f"/api/v1/patients/{patient_id}/response"),
        ("get", f"/api/v1/patients/{patient_id}/export"),
        ("get", "/api/v1/due"),
        ("get", "/api/v1/audit"),
    ]
    api = {
        (method, path)
        for path, item in site.app.openapi()["paths"].items()
        if path.startswith("/api/v1")
        for method in item
    }
    assert {(m, p.replace(patient_id, "{patient_id}")) for m, p in routes} == api
    for method, path in routes:
        for headers in (
            {},
            {"Authorization": "Bearer cbl_0000_wrong"},
            {"Authorization": "Basic x"},
        ):
            answer = site.http.request(method, path, json={}, headers=headers)
            assert answer.status_code == 401, (method, path, headers)
            assert answer.headers["www-authenticate"] == "Bearer"


def test_patients_are_created_found_read_changed_with_internal_ids(site: RecordsSite) -> None:
    patient_id = site.patient(name="Jane Example", person={"diet": "vegan"})
    assert len(patient_id) == 32 and "MRN" not in patient_id
    found = site.http.get(
        "/api/v1/patients", params={"identifier": "MRN-1001"}, headers=site.headers()
    ).json()["patients"]
    assert [p["id"] for p in found] == [patient_id]
    assert site.http.get(
        "/api/v1/patients", params={"identifier": "nobody"}, headers=site.headers()
    ).json() == {"patients": []}
    read = site.http.get(f"/api/v1/patients/{patient_id}", headers=site.headers()).json()
    assert read["birth_date"] == "1970-03-14" and read["person"] == {"diet": "vegan"}
    assert read["pack"] == "nice-ng239"
    changed = site.http.patch(
        f"/api/v1/patients/{patient_id}", json={"pack": "nhg-anemie"}, headers=site.headers()
    )
    assert changed.status_code == 200 and changed.json()["pack"] == "nhg-anemie"
    again = site.http.post(
        "/api/v1/patients",
        headers=site.headers(),
        json={"identifier": "MRN-1001", "birth_date": "1980-01-01"},
    )
    assert again.status_code == 409 and again.json()["detail"]["field"] == "identifier"


def test_bad_input_names_the_field(site: RecordsSite) -> None:
    cases = [
        ({"birth_date": "1970-01-01"}, "identifier"),
        ({"identifier": "X", "birth_date": "14-03-1970"}, "birth_date"),
        ({"identifier": "X", "birth_date": "2999-01-01"}, "birth_date"),
        ({"identifier": "X", "birth_date": "1970-01-01", "sex": "f"}, "sex"),
        ({"identifier": "X", "birth_date": "1970-01-01", "pack": "/etc/passwd"}, "pack"),
        (
            {"identifier": "X", "birth_date": "1970-01-01", "person": {"diet": "keto"}},
            "person.diet",
        ),
        ({"identifier": "X", "birth_date": "1970-01-01", "person": {"age": 3}}, "person.age"),
        ({"identifier": "X", "birth_date": "1970-01-01", "colour": "red"}, "colour"),
    ]
    for body, field in cases:
        answer = site.http.post("/api/v1/patients", json=body, headers=site.headers())
        assert answer.status_code == 422, body
        assert answer.json()["detail"]["field"] == field, answer.json()
    patient_id = site.patient()
    bad_results = [
        ({"results": RESULTS}, "sample_date"),
        ({"sample_date": "2025-01-01", "results": []}, "results"),
        (
            {"sample_date": "2025-01-01", "results": [{"test": "b12", "value": 1, "unit": "kg"}]},
            "b12.unit",
        ),
        ({"sample_date": "1960-01-01", "results": RESULTS}, "sample_date"),
    ]
    for body, field in bad_results:
        answer = site.http.post(
            f"/api/v1/patients/{patient_id}/results", json=body, headers=site.headers()
        )
        assert answer.status_code == 422, body
        assert answer.json()["detail"]["field"] == field, answer.json()
    missing = site.http.get("/api/v1/patients/" + "0" * 32, headers=site.headers())
    assert missing.status_code == 404


def test_results_are_assessed_under_the_patients_pack(site: RecordsSite) -> None:
    patient_id = site.patient(pack="nhg-anemie", person={"diet": "vegan"})
    answer = site.http.post(
        f"/api/v1/patients/{patient_id}/results",
        json={"sample_date": "2025-02-03", "results": RESULTS},
        headers=site.headers("lab"),
    )
    assert answer.status_code == 201, answer.text
    stored = answer.json()
    knowledge = default_knowledge()
    pack = knowledge.pack("nhg-anemie")
    # The same case through the one pipeline: age on the sample date, sex, context, results.
    case = {
        "person": {"age": 54, "sex": "female", "diet": "vegan"},
        "results": RESULTS,
        "date": "2025-02-03",
    }
    expected = assess(case, pack, knowledge).to_dict("en")
    assert stored["assessment"] == expected
    assert stored["pack_sha256"] == pack.sha256 == expected["pack_sha256"]
    assert stored["engine_version"] == ENGINE_VERSION
    timeline = site.http.get(
        f"/api/v1/patients/{patient_id}/timeline", headers=site.headers()
    ).json()["entries"]
    assessment = next(e for e in timeline if e["kind"] == "assessment")
    assert assessment["pack_sha256"] == pack.sha256
    assert assessment["date"] == "2025-02-03"


def test_plans_doses_and_follow_up_make_the_timeline(site: RecordsSite) -> None:
    patient_id = site.patient(pack="nhg-anemie")
    headers = site.headers()
    site.http.post(
        f"/api/v1/patients/{patient_id}/results",
        headers=headers,
        json={"sample_date": "2025-03-01", "results": RESULTS},
    )
    made = site.http.post(
        f"/api/v1/patients/{patient_id}/plans",
        headers=headers,
        json={"regimen": "nhg-im-hydroxo", "start": "2025-03-03"},
    )
    assert made.status_code == 201, made.text
    knowledge = default_knowledge()
    expected = plan("nhg-im-hydroxo", "2025-03-03", knowledge).to_dict("en")
    assert made.json()["plan"] == expected
    reviews = follow_up("nhg-anemie", dt.date(2025, 3, 3), knowledge, route="im").reviews
    plan_id = made.json()["id"]
    for day in ("2025-03-03", "2025-03-06"):
        dose = site.http.post(
            f"/api/v1/patients/{patient_id}/doses",
            headers=headers,
            json={
                "date": day,
                "dose_ug": 1000,
                "route": "im",
                "form": "hydroxocobalamin",
                "plan_id": plan_id,
            },
        )
        assert dose.status_code == 201, dose.text
    entries = site.http.get(f"/api/v1/patients/{patient_id}/timeline", headers=headers).json()[
        "entries"
    ]
    kinds = [(e["date"], e["kind"]) for e in entries]
    assert kinds[:5] == [
        ("2025-03-01", "result"),
        ("2025-03-01", "assessment"),
        ("2025-03-03", "plan"),
        ("2025-03-03", "dose"),
        ("2025-03-06", "dose"),
    ]
    assert [e["date"] for e in entries] == sorted(e["date"] for e in entries)
    due = [e for e in entries if e["kind"] == "followup_due"]
    assert [e["date"] for e in due] == [r.date.isoformat() for r in reviews]
    assert all("Kompas" in e["source"] for e in due)
    next_dose = next(e for e in entries if e["kind"] == "dose_due")
    assert next_dose["number"] == 3
    assert next_dose["date"] == expected["doses"][2]["date"]
    bad = site.http.post(
        f"/api/v1/patients/{patient_id}/doses",
        headers=headers,
        json={"date": "2025-03-09", "dose_ug": 1000, "route": "iv", "form": "hydroxocobalamin"},
    )
    assert bad.status_code == 422 and bad.json()["detail"]["field"] == "route"


def test_roles_decide_who_may_do_what(site: RecordsSite) -> None:
    patient_id = site.patient(role="lab")
    lab = site.headers("lab")
    assert site.http.get(f"/api/v1/patients/{patient_id}", headers=lab).status_code == 403
    assert site.http.get(f"/api/v1/patients/{patient_id}/timeline", headers=lab).status_code == 403
    assert site.http.delete(f"/api/v1/patients/{patient_id}", headers=lab).status_code == 403
    for role in ("lab", "clinician"):
        assert site.http.get("/api/v1/audit", headers=site.headers(role)).status_code == 403
    assert site.http.get("/api/v1/audit", headers=site.headers("admin")).status_code == 200


def test_erasure_removes_the_patient_and_the_audit_keeps_only_the_internal_id(
    site: RecordsSite,
) -> None:
    patient_id = site.patient(name="Erase Me")
    headers = site.headers()
    site.http.post(
        f"/api/v1/patients/{patient_id}/results",
        headers=headers,
        json={"sample_date": "2025-03-01", "results": RESULTS},
    )
    site.http.post(
        f"/api/v1/patients/{patient_id}/plans",
        headers=headers,
        json={"regimen": "nice-im", "start": "2025-03-03"},
    )
    site.http.get(f"/api/v1/patients/{patient_id}/export", headers=headers)
    assert site.http.delete(f"/api/v1/patients/{patient_id}", headers=headers).status_code == 204
    assert site.http.get(f"/api/v1/patients/{patient_id}", headers=headers).status_code == 404
    assert site.http.get(
        "/api/v1/patients", params={"identifier": "MRN-1001"}, headers=headers
    ).json() == {"patients": []}
    audit = site.http.get(
        "/api/v1/audit", params={"patient": patient_id}, headers=site.headers("admin")
    ).json()["entries"]
    actions = [e["action"] for e in audit]
    assert actions[:1] == ["patient.create"]
    assert "patient.export.json" in actions
    erase = next(e for e in audit if e["action"] == "patient.erase")
    assert erase["user"] == "clinician" and erase["patient"] == patient_id
    assert erase["detail"]["removed"] == {"samples": 1, "assessments": 1, "plans": 1, "doses": 0}
    text = str(audit)
    for personal in ("MRN-1001", "Erase Me", "1970-03-14"):
        assert personal not in text
    with site.context.sessions() as session:
        from sqlalchemy import func, select

        from cobalamin.storage.models import Patient, Plan, Sample, StoredAssessment

        for model in (Patient, Sample, StoredAssessment, Plan):
            assert session.scalar(select(func.count()).select_from(model)) == 0


def test_the_audit_records_every_read_with_who_and_when(site: RecordsSite) -> None:
    patient_id = site.patient()
    headers = site.headers()
    site.http.get(f"/api/v1/patients/{patient_id}", headers=headers)
    site.http.get(f"/api/v1/patients/{patient_id}/timeline", headers=headers)
    site.http.get("/api/v1/patients", params={"identifier": "MRN-1001"}, headers=headers)
    site.http.get(f"/api/v1/patients/{patient_id}/export", headers=headers)
    audit = site.http.get(
        "/api/v1/audit", params={"patient": patient_id}, headers=site.headers("admin")
    ).json()["entries"]
    assert [(e["action"], e["user"], e["via"]) for e in audit] == [
        ("patient.create", "clinician", "token"),
        ("patient.read", "clinician", "token"),
        ("patient.timeline", "clinician", "token"),
        ("patient.list", "clinician", "token"),
        ("patient.export.json", "clinician", "token"),
    ]
    moments = [dt.datetime.fromisoformat(e["at"]) for e in audit]
    assert moments == sorted(moments) and all(m.tzinfo is not None for m in moments)
    reread = site.http.get(
        "/api/v1/audit", params={"patient": patient_id}, headers=site.headers("admin")
    ).json()["entries"]
    assert reread[-1]["action"] == "audit.read" and reread[-1]["user"] == "admin"


def test_export_is_json_with_a_hook_for_more_formats(site: RecordsSite) -> None:
    from cobalamin.web.records import register_exporter

    patient_id = site.patient()
    headers = site.headers()
    site.http.post(
        f"/api/v1/patients/{patient_id}/results",
        headers=headers,
        json={"sample_date": "2025-03-01", "results": RESULTS},
    )
    exported = site.http.get(f"/api/v1/patients/{patient_id}/export", headers=headers).json()
    assert exported["patient"]["identifier"] == "MRN-1001"
    assert [r["test"] for r in exported["samples"][0]["results"]] == ["b12", "hb"]
    unknown = site.http.get(
        f"/api/v1/patients/{patient_id}/export", params={"format": "fhir"}, headers=headers
    )
    assert unknown.status_code == 422 and unknown.json()["detail"]["allowed"] == "json"
    register_exporter(
        site.app,
        "fhir",
        lambda record, knowledge: (
            "application/fhir+json",
            {"resourceType": "Bundle", "total": len(record["samples"])},
        ),
    )
    bundle = site.http.get(
        f"/api/v1/patients/{patient_id}/export", params={"format": "fhir"}, headers=headers
    )
    assert bundle.headers["content-type"].startswith("application/fhir+json")
    assert bundle.json() == {"resourceType": "Bundle", "total": 1}


def test_revoked_tokens_stop_working(site: RecordsSite) -> None:
    from cobalamin.storage.accounts import revoke_token

    headers = site.headers()
    assert site.http.get("/api/v1/patients", headers=headers).status_code == 200
    with site.context.sessions() as session:
        assert revoke_token(session, site.tokens["clinician"])
        session.commit()
    assert site.http.get("/api/v1/patients", headers=headers).status_code == 401
