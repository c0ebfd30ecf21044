"""After a records scenario against a real server, its logs (access and error, at debug level)
hold no personal data: no identifier, name or birth date, no token, password or session."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from records_server import Server

IDENTIFIER = "ZXQ-IDENT-8812"
OTHER_IDENTIFIER = "ZXQ-IDENT-4471"
NAME = "Quintessa Marlowe"
BIRTH_DATE = "1943-11-27"
PASSWORD = "correct horse battery staple quintessa"
NEW_PASSWORD = "quintessa's second passphrase 40913"
WRONG_PASSWORD = "a guessed passphrase for quill 27"


def _cli(db_url: str, *args: str, stdin: str = "") -> str:
    done = subprocess.run(
        [sys.executable, "-m", "cobalamin", *args, "--db", db_url],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.mark.slow
def test_no_personal_data_in_the_server_logs(db_url: str, tmp_path: Path) -> None:
    _cli(db_url, "users", "add", "quill", "--role", "admin", stdin=PASSWORD + "\n")
    token = _cli(db_url, "tokens", "create", "quill").strip().splitlines()[-1]
    server = Server(db_url, tmp_path, log_level="debug")
    server.start()
    secrets_seen: list[str] = [token, token.split("_", 2)[2], PASSWORD]
    try:
        api = httpx.Client(
            base_url=server.base, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        body = {
            "identifier": IDENTIFIER,
            "name": NAME,
            "birth_date": BIRTH_DATE,
            "sex": "female",
            "pack": "nhg-anemie",
            "person": {"diet": "vegan"},
        }
        patient_id = api.post("/api/v1/patients", json=body).json()["id"]
        assert api.post("/api/v1/patients", json=body).status_code == 409
        bad = {**body, "identifier": OTHER_IDENTIFIER, "birth_date": "1943-13-27"}
        assert api.post("/api/v1/patients", json=bad).status_code == 422
        found = api.get("/api/v1/patients", params={"identifier": IDENTIFIER})
        assert [p["id"] for p in found.json()["patients"]] == [patient_id]
        api.get("/api/v1/patients", params={"identifier": OTHER_IDENTIFIER})
        results = {
            "sample_date": "2025-04-01",
            "results": [
                {"test": "b12", "value": 90, "unit": "pmol/L"},
                {"test": "hb", "value": 98, "unit": "g/L"},
            ],
        }
        assert api.post(f"/api/v1/patients/{patient_id}/results", json=results).status_code == 201
        api.post(
            f"/api/v1/patients/{patient_id}/plans",
            json={"regimen": "nhg-im-hydroxo", "start": "2025-04-02"},
        )
        api.patch(f"/api/v1/patients/{patient_id}", json={"name": NAME + " Jr"})
        for path in ("", "/timeline", "/export", "/response"):
            assert api.get(f"/api/v1/patients/{patient_id}{path}").status_code == 200
        api.get("/api/v1/audit", params={"patient": patient_id})
        # the pages, signed in with the password
        web = httpx.Client(base_url=server.base, timeout=30, follow_redirects=True)
        login = web.get("/login")
        form_token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
        assert form_token is not None
        signed_in = web.post(
            "/login",
            data={"username": "quill", "password": PASSWORD, "csrf_token": form_token.group(1)},
        )
        assert signed_in.status_code == 200
        secrets_seen.append(web.cookies["cobalamin_session"])
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', signed_in.text)
        assert csrf is not None
        assert (
            IDENTIFIER
            in web.post(
                "/patients/search", data={"csrf_token": csrf.group(1), "identifier": IDENTIFIER}
            ).text
        )
        assert NAME in web.get(f"/patients/{patient_id}").text
        web.get("/due")
        # the password page: a wrong current password, then a change
        for current in (WRONG_PASSWORD, PASSWORD):
            page = web.get("/account/password")
            form_csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert form_csrf is not None
            changed = web.post(
                "/account/password",
                data={
                    "csrf_token": form_csrf.group(1),
                    "current_password": current,
                    "new_password": NEW_PASSWORD,
                    "new_password_again": NEW_PASSWORD,
                },
            )
            assert changed.status_code == (401 if current == WRONG_PASSWORD else 200)
        secrets_seen += [NEW_PASSWORD, WRONG_PASSWORD]
        assert api.delete(f"/api/v1/patients/{patient_id}").status_code == 204
    finally:
        server.stop()
    logs = server.logs()
    # The logs are there and detailed: without them this test would prove nothing.
    assert "GET /api/v1/patients HTTP/1.1" in logs
    assert f"GET /api/v1/patients/{patient_id}/timeline HTTP/1.1" in logs
    assert "POST /patients/search HTTP/1.1" in logs
    assert "POST /account/password HTTP/1.1" in logs
    for personal in (
        IDENTIFIER,
        OTHER_IDENTIFIER,
        NAME,
        "Quintessa",
        "Marlowe",
        BIRTH_DATE,
        "1943-13-27",
        "27-11-1943",
        *secrets_seen,
    ):
        assert personal not in logs, f"{personal!r} appears in the server's logs"
    assert "identifier=" not in logs
