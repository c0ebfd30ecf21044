"""The logs of the real server (``cobalamin serve``: records, lab, FHIR, CDS Hooks, site packs)
after a scenario with distinctive personal data and every kind of secret: none of them
appears in what the server wrote (its standard output and error, and any log file in its data
folder), neither does any token (records bearer token, CDS JWT, the EHR's FHIR access token),
password or session cookie, also when they are wrong."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from records_server import free_port

IDENTIFIER = "ZXQ-SERVE-5521"
NAME = "Philippa Quartermaine"
BIRTH_DATE = "1938-02-17"
FHIR_BIRTH = "1941-06-23"
PASSWORD = "serve log test password quartermaine"
WRONG_PASSWORD = "wrong password zebra quokka"
FHIR_ACCESS_TOKEN = "ehr-access-token-7f3e9c1a"
ISS = "https://ehr.logs"
LOINC = "http://loinc.org"


def _cli(env: dict[str, str], *args: str, stdin: str = "") -> str:
    return subprocess.run(
        [sys.executable, "-m", "cobalamin", *args],
        input=stdin, capture_output=True, text=True, env=env, check=True,
    ).stdout  # fmt: skip


@pytest.mark.slow
def test_the_real_server_logs_no_personal_data_and_no_token(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    db = f"sqlite:///{data / 'cobalamin.db'}"
    env = {**os.environ, "COBALAMIN_DATA_DIR": str(data)}
    _cli(env, "users", "add", "quill", "--role", "admin", "--db", db, stdin=PASSWORD + "\n")
    token = _cli(env, "tokens", "create", "quill", "--db", db).strip().splitlines()[-1]
    key = ec.generate_private_key(ec.SECP384R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps([{"iss": ISS, "jwks": {"keys": [jwk | {"kid": "k1"}]}}]))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    out, err = (tmp_path / "serve.out").open("wb"), (tmp_path / "serve.err").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "cobalamin", "serve", "--port", str(port), "--db", db,
         "--data-dir", str(data), "--public-url", base, "--cds-trust", str(trust)],
        stdout=out, stderr=err, env=env,
    )  # fmt: skip
    secrets: list[str] = [token, token.split("_", 2)[2], PASSWORD, WRONG_PASSWORD]
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "no server"
            time.sleep(0.3)
        api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        body = {"identifier": IDENTIFIER, "name": NAME, "birth_date": BIRTH_DATE, "sex": "female"}
        patient = api.post("/api/v1/patients", json=body).json()["id"]
        api.post(
            f"/api/v1/patients/{patient}/results",
            json={
                "sample_date": "2025-04-01",
                "results": [{"test": "b12", "value": 90, "unit": "pmol/L"}],
            },
        )
        assert api.get("/api/v1/patients", params={"identifier": IDENTIFIER}).status_code == 200
        # FHIR $interpret with a birth date in the Bundle
        bundle = {
            "resourceType": "Bundle", "type": "collection",
            "entry": [
                {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Patient", "gender": "female", "birthDate": FHIR_BIRTH}},
                {"resource": {"resourceType": "Observation", "status": "final",
                              "code": {"coding": [{"system": LOINC, "code": "14685-2"}]},
                              "subject": {"reference": "urn:uuid:1"}, "effectiveDateTime": "2026-04-11",
                              "valueQuantity": {"value": 110, "unit": "pmol/L"}}},
            ],
        }  # fmt: skip
        assert api.post("/fhir/$interpret?pack=nice-ng239", json=bundle).status_code == 200
        # CDS Hooks with a signed JWT and the EHR's own access token in the body
        aud = f"{base}/cds-services/cobalamin-b12"
        now = int(time.time())
        claims = {"iss": ISS, "aud": aud, "iat": now, "exp": now + 300, "jti": uuid.uuid4().hex}
        signed = jwt.encode(claims, key, algorithm="ES384", headers={"kid": "k1"})
        secrets.append(signed)
        hook: dict[str, Any] = {
            "hook": "patient-view", "hookInstance": str(uuid.uuid4()),
            "context": {"patientId": IDENTIFIER, "userId": "Practitioner/1"},
            "fhirServer": "https://127.0.0.1:9/fhir",
            "fhirAuthorization": {"access_token": FHIR_ACCESS_TOKEN, "token_type": "Bearer",
                                  "expires_in": 300, "scope": "patient/*.read", "subject": "cobalamin"},
            "prefetch": {"patient": {"resourceType": "Patient", "id": IDENTIFIER, "birthDate": FHIR_BIRTH}},
        }  # fmt: skip
        cds = httpx.post(aud, json=hook, headers={"Authorization": f"Bearer {signed}"}, timeout=30)
        assert cds.status_code in (200, 412)
        replay = httpx.post(aud, json=hook, headers={"Authorization": f"Bearer {signed}"})
        assert replay.status_code == 401
        # wrong secrets
        wrong = "cbl_wrongid_" + "q" * 40
        secrets.append(wrong)
        assert (
            httpx.get(
                f"{base}/api/v1/patients", headers={"Authorization": f"Bearer {wrong}"}
            ).status_code
            == 401
        )
        web = httpx.Client(base_url=base, timeout=30, follow_redirects=True)
        form = re.search(r'name="csrf_token" value="([^"]+)"', web.get("/login").text)
        assert form is not None
        failed = web.post(
            "/login",
            data={"username": "quill", "password": WRONG_PASSWORD, "csrf_token": form.group(1)},
        )
        assert failed.status_code == 401
        form = re.search(r'name="csrf_token" value="([^"]+)"', failed.text)
        assert form is not None
        signed_in = web.post(
            "/login", data={"username": "quill", "password": PASSWORD, "csrf_token": form.group(1)}
        )
        assert signed_in.status_code == 200
        secrets.append(web.cookies["cobalamin_session"])
        # a lab file with the identifier and a site pack that names the patient (refused)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', web.get("/lab").text)
        assert csrf is not None
        rows = f"id,age,sex,b12,b12_unit\n{IDENTIFIER},70,female,90,pmol/L\n"
        lab = web.post("/lab", data={"csrf_token": csrf.group(1), "pack": "nice-ng239"},
                       files={"file": ("cases.csv", rows, "text/csv")})  # fmt: skip
        assert lab.status_code == 200
        pack = api.post(
            "/api/v1/site-packs",
            content=f"id: x\ntitle: {NAME}\n",
            headers={"Content-Type": "application/yaml"},
        )
        assert pack.status_code == 422
        assert api.delete(f"/api/v1/patients/{patient}").status_code == 204
    finally:
        server.terminate()
        server.wait(timeout=30)
        out.close()
        err.close()
    logs = "".join(
        path.read_text(encoding="utf-8", errors="replace")
        for path in [tmp_path / "serve.out", tmp_path / "serve.err", *data.rglob("*.log")]
    )
    # the logs are there and show the requests: without them this test proves nothing
    assert "POST /cds-services/cobalamin-b12 HTTP/1.1" in logs
    assert "POST /fhir/%24interpret HTTP/1.1" in logs
    assert "GET /api/v1/patients HTTP/1.1" in logs
    for secret in (IDENTIFIER, NAME, "Philippa", "Quartermaine", BIRTH_DATE, FHIR_BIRTH,
                   FHIR_ACCESS_TOKEN, *secrets):  # fmt: skip
        assert secret not in logs, f"{secret[:12]!r}... appears in the server's logs"
    assert "identifier=" not in logs and "pack=" not in logs
