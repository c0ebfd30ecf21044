"""CDS Hooks 2.0 security, end to end: a stand-in EHR signs calls with its own keys; the JWK Set
is fetched over https from a loopback server whose certificate the test trusts.

CDS Hooks 2.0, "Trusting CDS Clients": the JWT header has alg, kid, typ; the payload iss, aud
("MUST be the URL of the CDS Service endpoint being invoked"), exp, iat, jti ("used to
protect against replay attacks"); "JWTs SHALL NOT be signed using the none algorithm" nor a
symmetric one; ES384 and RS384 are RECOMMENDED. Best practices: answer 401 "without any
additional information"."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from conftest import PUBLIC_URL, StandInEhr
from cryptography.hazmat.primitives import serialization

from cobalamin.interop.cds_hooks import PATIENT_SERVICE

SERVICE = PATIENT_SERVICE


def body(patient_id: str = "p1") -> dict[str, Any]:
    """A patient-view call whose prefetch says "no data" for every key (null)."""
    from cobalamin import default_knowledge
    from cobalamin.interop.cds_hooks_prefetch import prefetch_templates

    knowledge = default_knowledge()
    keys = [t.key for t in prefetch_templates(knowledge.pack("nice-ng239"), knowledge)]
    return {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"patientId": patient_id, "userId": "Practitioner/1"},
        "prefetch": dict.fromkeys(keys)
        | {"patient": {"resourceType": "Patient", "id": patient_id}},
    }


@pytest.fixture
def service(make_service: Any) -> Any:
    return make_service()


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_es384_and_rs384_are_accepted(service: Any) -> None:
    for alg in ("ES384", "RS384"):
        token = service.ehr.token(service.aud(SERVICE), alg=alg)
        answer = service.post(SERVICE, body(), token=token)
        assert answer.status_code == 200, (alg, answer.text)
        assert answer.json() == {"cards": []}  # nothing measured: nothing to say


def refused(service: Any, token: str | None, path: str = SERVICE, feedback: bool = False) -> None:
    payload = {"feedback": []} if feedback else body()
    answer = service.post(path, payload, token=token, feedback=feedback)
    assert answer.status_code == 401, answer.text
    assert answer.content == b""  # no detail leaks
    assert answer.headers["www-authenticate"] == "Bearer"


def test_missing_or_malformed_token(service: Any) -> None:
    refused(service, None)
    refused(service, "not-a-jwt")
    answer = service.client.post(
        service.url(SERVICE), json=body(), headers={"Authorization": "Basic eDp5"}
    )
    assert answer.status_code == 401


def test_untrusted_issuer(service: Any) -> None:
    stranger = StandInEhr(iss="https://stranger.test")
    refused(service, stranger.token(service.aud(SERVICE)))


def test_trusted_issuer_name_with_someone_elses_key(service: Any) -> None:
    impostor = StandInEhr(iss=service.ehr.iss)  # same iss, own keys and kids
    refused(service, impostor.token(service.aud(SERVICE)))
    # and with a kid the EHR really has, but signed by the impostor's key
    kid = service.ehr.kids["ES384"]
    refused(service, impostor.token(service.aud(SERVICE), kid=kid))


def test_unknown_kid(service: Any) -> None:
    refused(service, service.ehr.token(service.aud(SERVICE), kid="no-such-key"))


def test_expired(service: Any) -> None:
    now = int(time.time())
    refused(service, service.ehr.token(service.aud(SERVICE), iat=now - 600, exp=now - 120))


def test_issued_in_the_future_or_long_ago(service: Any) -> None:
    now = int(time.time())
    refused(service, service.ehr.token(service.aud(SERVICE), iat=now + 600, exp=now + 900))
    refused(service, service.ehr.token(service.aud(SERVICE), iat=now - 7200, exp=now + 60))
    refused(service, service.ehr.token(service.aud(SERVICE), exp=now + 86400))  # replay window


def test_wrong_audience(service: Any) -> None:
    refused(service, service.ehr.token(service.aud()))  # the discovery URL
    refused(service, service.ehr.token(service.aud("cobalamin-orders")))  # another service
    refused(service, service.ehr.token("http://cobalamin.test/cds-services/" + SERVICE))
    refused(service, service.ehr.token(service.aud(SERVICE) + "/"))


def test_required_claims(service: Any) -> None:
    for missing in ("jti", "iat", "exp", "iss"):
        refused(service, service.ehr.token(service.aud(SERVICE), **{missing: None}))


def valid_claims(service: Any, jti: str) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": service.ehr.iss,
        "aud": service.aud(SERVICE),
        "iat": now,
        "exp": now + 300,
        "jti": jti,
    }


def test_alg_none(service: Any) -> None:
    claims = valid_claims(service, "n1")
    header = {"alg": "none", "typ": "JWT", "kid": service.ehr.kids["ES384"]}
    refused(service, f"{_b64(header)}.{_b64(claims)}.")


def test_symmetric_key_confusion(service: Any) -> None:
    """HS256 signed with the EHR's public key as the shared secret (the classic confusion)."""
    public = service.ehr.rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = valid_claims(service, "h1")
    header = {"alg": "HS256", "typ": "JWT", "kid": service.ehr.kids["RS384"]}
    signing_input = f"{_b64(header)}.{_b64(claims)}"
    signature = hmac.new(public, signing_input.encode(), hashlib.sha256).digest()
    token = signing_input + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
    refused(service, token)


def test_algorithm_of_the_wrong_key_type(service: Any) -> None:
    """An ES384 header naming the RSA key's kid."""
    refused(
        service, service.ehr.token(service.aud(SERVICE), alg="ES384", kid=service.ehr.kids["RS384"])
    )


def test_replayed_jti(service: Any) -> None:
    token = service.ehr.token(service.aud(SERVICE))
    assert service.post(SERVICE, body(), token=token).status_code == 200
    refused(service, token)
    again = service.ehr.token(
        service.aud(SERVICE),
        jti=json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "==="))["jti"],
    )
    refused(service, again)  # a new token with a used jti


def test_jku_must_be_the_issuers_jwks_url(service: Any) -> None:
    token = service.ehr.token(
        service.aud(SERVICE), header={"jku": "https://attacker.test/jwks.json"}
    )
    refused(service, token)
    good = service.ehr.token(service.aud(SERVICE), header={"jku": service.server.jwks_url})
    assert service.post(SERVICE, body(), token=good).status_code == 200


def test_typ_must_be_jwt(service: Any) -> None:
    refused(service, service.ehr.token(service.aud(SERVICE), header={"typ": "at+jwt"}))


def test_tenant_allowlist(make_service: Any, ehr: StandInEhr, ehr_server: Any) -> None:
    from cobalamin.interop.jwt_trust import TrustedIssuer

    issuer = TrustedIssuer(iss=ehr.iss, jwks_url=ehr_server.jwks_url, tenants=("hospital-a",))
    service = make_service(issuers=[issuer])
    ok = service.ehr.token(service.aud(SERVICE), tenant="hospital-a")
    assert service.post(SERVICE, body(), token=ok).status_code == 200
    refused(service, service.ehr.token(service.aud(SERVICE), tenant="hospital-b"))
    refused(service, service.ehr.token(service.aud(SERVICE)))


def test_feedback_audience_is_the_feedback_url(service: Any) -> None:
    refused(service, service.ehr.token(service.aud(SERVICE)), feedback=True)
    refused(service, None, feedback=True)
    ok = service.ehr.token(service.aud(SERVICE, feedback=True))
    assert service.post(SERVICE, {"feedback": []}, token=ok, feedback=True).status_code == 200


def test_no_trusted_issuer_refuses_everyone(make_service: Any) -> None:
    service = make_service(issuers=[])
    refused(service, service.ehr.token(service.aud(SERVICE)))
    assert service.client.get("/cds-services").status_code == 200  # discovery has no patient data


def test_discovery_can_require_a_token(make_service: Any) -> None:
    service = make_service(require_token_for_discovery=True)
    assert service.client.get("/cds-services").status_code == 401
    token = service.ehr.token(service.aud())
    answer = service.client.get("/cds-services", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200


def test_jwks_is_fetched_over_https_once_and_cached(make_service: Any, ehr_server: Any) -> None:
    service = make_service()
    before = sum(1 for path, _ in ehr_server.requests if path == "/.well-known/jwks.json")
    for _ in range(3):
        assert service.post(SERVICE, body()).status_code == 200
    after = sum(1 for path, _ in ehr_server.requests if path == "/.well-known/jwks.json")
    assert after - before == 1


def test_jwks_from_an_untrusted_certificate_is_refused(make_service: Any) -> None:
    """Without the test CA the https fetch fails, so no key: 401 (no fallback to plain http)."""
    service = make_service(tls_verify=True)
    refused(service, service.ehr.token(service.aud(SERVICE)))


def test_trust_file_json_and_yaml(
    make_service: Any, tmp_path: Any, ehr: StandInEhr, ehr_server: Any
) -> None:
    as_json = tmp_path / "trust.json"
    as_json.write_text(json.dumps([{"iss": ehr.iss, "jwks_url": ehr_server.jwks_url}]))
    service = make_service(issuers=[], trust_file=as_json)
    assert service.post(SERVICE, body()).status_code == 200
    as_yaml = tmp_path / "trust.yaml"
    as_yaml.write_text(f"- iss: {ehr.iss}\n  jwks: {json.dumps(ehr.jwks())}\n")
    service = make_service(issuers=[], trust_file=as_yaml)
    assert service.post(SERVICE, body()).status_code == 200


def test_public_url_is_the_audience_not_the_host_header(service: Any) -> None:
    """The test client calls http://testserver; only the configured public URL is the audience."""
    refused(service, service.ehr.token(f"http://testserver/cds-services/{SERVICE}"))
    assert service.aud(SERVICE) == f"{PUBLIC_URL}/cds-services/{SERVICE}"
    assert service.post(SERVICE, body()).status_code == 200  # a token for the public URL passes


def test_preflight_needs_no_token_and_only_for_listed_origins(service: Any) -> None:
    sandbox = "https://sandbox.cds-hooks.org"
    answer = service.client.options(
        service.url(SERVICE),
        headers={"Origin": sandbox, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization,content-type"},
    )  # fmt: skip
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == sandbox
    assert "Authorization" in answer.headers["access-control-allow-headers"]
    stranger = service.client.options(
        service.url(SERVICE),
        headers={"Origin": "https://evil.test", "Access-Control-Request-Method": "POST"},
    )
    assert stranger.status_code == 403
    assert "access-control-allow-origin" not in stranger.headers
    call = service.post(SERVICE, body(), Origin=sandbox)
    assert call.headers["access-control-allow-origin"] == sandbox
