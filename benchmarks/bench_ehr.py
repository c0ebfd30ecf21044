"""Time of the EHR adapters per call, side by side with the assessment they wrap.

    python benchmarks/bench_ehr.py [--runs N]

In one process, each N times after one warm-up call (the median is printed, in ms):

(a) ``assess`` of a case with B12, Hb and folic acid: the floor;
(b) ``$interpret`` of the same case as a FHIR Bundle (read, assess, write R4 Bundle);
(c) CDS Hooks ``patient-view`` with full prefetch (pure call, no HTTP);
(d) CDS Hooks ``order-sign`` of a folic acid order;
(e) verifying an ES384 and (f) an RS384 CDS Hooks JWT (inline key set, fresh jti each time);
(g) the whole HTTP round trip of (c) with a JWT, in-process (FastAPI TestClient).

CDS Hooks asks services to "respond quickly (on the order of 500 ms)": the last column is the
share of that budget. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cobalamin import assess, default_knowledge
from cobalamin.interop.cds_hooks import CdsHooks
from cobalamin.interop.fhir import Interpreter
from cobalamin.interop.jwt_trust import CdsTokenVerifier, TrustedIssuer
from cobalamin.web.ehr import install_ehr

LOINC, UCUM, ATC = "http://loinc.org", "http://unitsofmeasure.org", "http://www.whocc.no/atc"
PUBLIC_URL = "https://cobalamin.bench"
ISS = "https://ehr.bench"


def _median_ms(call: Callable[[], Any], runs: int) -> float:
    call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _observation(loinc: str, value: float, unit: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation", "id": f"o{loinc}", "status": "final",
        "code": {"coding": [{"system": LOINC, "code": loinc}]},
        "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2026-05-02",
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    runs = parser.parse_args().runs

    knowledge = default_knowledge()
    pack = knowledge.pack("nice-ng239")
    patient = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1984-03-02"}
    b12, hb = _observation("14685-2", 160, "pmol/L"), _observation("718-7", 100, "g/L")
    folic = {
        "resourceType": "MedicationStatement", "status": "active", "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "B03BB01"}]},
    }  # fmt: skip
    case = {
        "person": {"sex": "female", "age": 42, "medications": ["folic_acid"]},
        "results": [{"test": "b12", "value": 160, "unit": "pmol/L"}, {"test": "hb", "value": 100, "unit": "g/L"}],
    }  # fmt: skip
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": r} for r in (patient, b12, hb, folic)]}  # fmt: skip

    interpreter = Interpreter(knowledge)
    hooks = CdsHooks(knowledge, pack, public_url=PUBLIC_URL, interpreter=interpreter)
    prefetch: dict[str, Any] = {t.key: None for t in hooks.templates}
    searchset = lambda r: {"resourceType": "Bundle", "entry": [{"resource": r}]}  # noqa: E731
    prefetch |= {"patient": patient, "b12": searchset(b12), "hb": searchset(hb)}
    view = {
        "hook": "patient-view",
        "hookInstance": "b",
        "context": {"patientId": "p1"},
        "prefetch": prefetch,
    }
    order = {
        "resourceType": "MedicationRequest", "id": "m1", "status": "draft", "intent": "order",
        "medicationCodeableConcept": {"text": "Folic Acid 5 MG Oral Tablet"},
    }  # fmt: skip
    sign = {"hook": "order-sign", "hookInstance": "s",
            "context": {"patientId": "p1", "draftOrders": {"resourceType": "Bundle", "entry": [{"resource": order}]}},
            "prefetch": prefetch}  # fmt: skip

    keys = {"ES384": ec.generate_private_key(ec.SECP384R1()),
            "RS384": rsa.generate_private_key(public_exponent=65537, key_size=2048)}  # fmt: skip
    jwks = {"keys": [
        json.loads(jwt.algorithms.get_default_algorithms()[alg].to_jwk(key.public_key())) | {"kid": alg, "alg": alg}
        for alg, key in keys.items()
    ]}  # fmt: skip
    issuer = TrustedIssuer(iss=ISS, jwks=jwks)
    verifier = CdsTokenVerifier([issuer])
    aud = f"{PUBLIC_URL}/cds-services/cobalamin-b12"

    def token(alg: str) -> str:
        now = int(time.time())
        claims = {"iss": ISS, "aud": aud, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
        return jwt.encode(claims, keys[alg], algorithm=alg, headers={"kid": alg, "typ": "JWT"})

    app = FastAPI()
    install_ehr(app, public_url=PUBLIC_URL, trust_file=None, bearer_dependency=lambda: None,
                knowledge=knowledge, issuers=[issuer])  # fmt: skip
    client = TestClient(app)

    def http_view() -> None:
        answer = client.post("/cds-services/cobalamin-b12", json=view,
                             headers={"Authorization": f"Bearer {token('ES384')}"})  # fmt: skip
        assert answer.status_code == 200, answer.text

    figures = {
        "assess": _median_ms(lambda: assess(case, pack, knowledge), runs),
        "interpret": _median_ms(lambda: interpreter.interpret(bundle, pack), runs),
        "patient_view": _median_ms(lambda: hooks.call("cobalamin-b12", view), runs),
        "order_sign": _median_ms(lambda: hooks.call("cobalamin-orders", sign), runs),
        "jwt_es384": _median_ms(lambda: verifier.verify(f"Bearer {token('ES384')}", aud), runs),
        "jwt_rs384": _median_ms(lambda: verifier.verify(f"Bearer {token('RS384')}", aud), runs),
        "http_patient_view": _median_ms(http_view, runs),
    }
    floor = figures["assess"]
    print(f"{'step':<20}{'median ms':>12}{'x assess':>10}{'% of 500 ms':>13}")
    for name, ms in figures.items():
        print(f"{name:<20}{ms:>12.2f}{ms / floor:>10.1f}{ms / 5:>12.1f}%")
    print(json.dumps({"runs": runs, "median_ms": {k: round(v, 3) for k, v in figures.items()}}))


if __name__ == "__main__":
    main()
