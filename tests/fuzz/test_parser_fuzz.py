"""Parser fuzzing (hypothesis): FHIR Bundles to ``$interpret``, CDS Hooks bodies, HL7 v2 messages
(parser and MLLP framing), lab uploads and site packs. Never a 500, never a traceback in the
body, and a patient stored before is still there afterwards. Small example counts (CI)."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cobalamin.defaults import default_knowledge
from cobalamin.interop.hl7v2 import HL7Error, frame_mllp, parse_message, split_messages
from cobalamin.interop.mllp import MLLPServer
from cobalamin.interop.mllp import Settings as MllpSettings
from cobalamin.knowledge.local_codes import LocalCodes
from cobalamin.storage.accounts import add_user, create_token
from cobalamin.web.server import build_app
from cobalamin.web.settings import Settings

ISS = "https://ehr.fuzz"
PUBLIC = "http://testserver"
FAST = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
LOINC = st.sampled_from(["14685-0", "2132-9", "718-7", "13964-8", "2284-8", "x"])


@st.composite
def bundles(draw: st.DrawFn) -> Any:
    """Mostly Bundle-shaped, with wrong types and values where a parser could trip."""
    entry = {
        "resource": {
            "resourceType": draw(st.sampled_from(["Observation", "Patient", "Bundle", 3, None])),
            "status": draw(st.sampled_from(["final", "preliminary", None, 7])),
            "code": {"coding": [{"system": "http://loinc.org", "code": draw(LOINC)}]},
            "valueQuantity": {
                "value": draw(st.one_of(st.floats(allow_nan=True), st.text(max_size=5))),
                "unit": draw(st.sampled_from(["pmol/L", "ng/L", "", "kg", None])),
            },
            "effectiveDateTime": draw(st.sampled_from(["2026-01-01", "yesterday", 5, ""])),
            "extra": draw(json_values),
        }
    }
    bundle = {
        "resourceType": draw(st.sampled_from(["Bundle", "Observation", ""])),
        "type": "collection",
        "entry": draw(st.lists(st.just(entry), max_size=3)),
    }
    return draw(st.one_of(st.just(bundle), json_values))


class Server:
    def __init__(self, client: TestClient, token: str, key: Any, folder: Path) -> None:
        self.client = client
        self.token = token
        self.key = key
        self.folder = folder
        self.patient = ""

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def jwt(self, aud: str) -> str:
        now = int(time.time())
        claims = {"iss": ISS, "aud": aud, "iat": now, "exp": now + 300, "jti": uuid.uuid4().hex}
        return jwt.encode(claims, self.key, algorithm="ES384", headers={"kid": "fuzz"})


def clean(answer: Any) -> None:
    assert answer.status_code < 500, (answer.status_code, answer.text[:300])
    assert "Traceback" not in answer.text and 'File "' not in answer.text


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("fuzz")
    key = ec.generate_private_key(ec.SECP384R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    trust = folder / "trust.json"
    trust.write_text(json.dumps([{"iss": ISS, "jwks": {"keys": [jwk | {"kid": "fuzz"}]}}]))
    settings_ = Settings(
        data_dir=folder / "data", public_url=PUBLIC, cds_trust=trust, token_failures=100_000
    )
    app = build_app(settings_)
    with app.state.records.sessions() as session:
        add_user(session, "admin", "admin", "a long enough fuzz password")
        token = create_token(session, "admin").token
        session.commit()
    with TestClient(app) as client:
        made = Server(client, token, key, settings_.site_pack_dir)
        stored = client.post(
            "/api/v1/patients",
            json={"identifier": "FUZZ-1", "birth_date": "1950-01-01", "sex": "male"},
            headers=made.bearer(),
        )
        assert stored.status_code == 201, stored.text
        made.patient = stored.json()["id"]
        yield made
        # nothing stored before the fuzzing is lost
        kept = client.get(f"/api/v1/patients/{made.patient}", headers=made.bearer())
        assert kept.status_code == 200 and kept.json()["identifier"] == "FUZZ-1"
        assert "nice-ng239" in [p["id"] for p in client.get("/api/v1/packs").json()]


@FAST
@given(body=bundles(), raw=st.booleans())
def test_fhir_interpret_never_fails_inside(server: Server, body: Any, raw: bool) -> None:
    content = json.dumps(body).encode() if not raw else json.dumps(body).encode()[:-1]
    answer = server.client.post(
        "/fhir/$interpret?pack=nice-ng239",
        content=content,
        headers={**server.bearer(), "Content-Type": "application/fhir+json"},
    )
    clean(answer)


@st.composite
def cds_bodies(draw: st.DrawFn) -> Any:
    body = {
        "hook": draw(st.sampled_from(["patient-view", "order-sign", "x", 1])),
        "hookInstance": draw(st.sampled_from([str(uuid.uuid4()), "", None])),
        "context": draw(
            st.one_of(
                st.fixed_dictionaries(
                    {"patientId": st.text(max_size=8), "userId": st.text(max_size=8)}
                ),
                json_values,
            )
        ),
        "prefetch": draw(
            st.one_of(st.none(), st.dictionaries(st.text(max_size=10), json_values, max_size=4))
        ),
        "fhirServer": draw(
            st.sampled_from([None, "http://ehr.invalid/fhir", "https://127.0.0.1:9/fhir"])
        ),
    }
    return draw(st.one_of(st.just(body), json_values))


@FAST
@given(body=cds_bodies())
def test_cds_hooks_bodies_never_fail_inside(server: Server, body: Any) -> None:
    url = "/cds-services/cobalamin-b12"
    token = server.jwt(PUBLIC + url)
    answer = server.client.post(
        url,
        content=json.dumps(body),  # Python's JSON: NaN and Infinity too
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    clean(answer)
    assert answer.status_code in (200, 400, 404, 412)


hl7_text = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "MSH|^~\\&|LAB|H|COB|H|20260101||ORU^R01|1|P|2.5",
                "PID|1||123||Doe^J||19500101|F",
                "OBR|1|||B12",
                "OBX|1|NM|14685-0^B12^LN||150|pmol/L|||||F",
                "OBX|1|NM|14685-0^B12^LN||<50|pmol/L|||||F",
                "OBX|1|ST|x||||",
            ]
        ),
        st.text(alphabet="MSHPIDOBX|^~\\&\r\n0123456789.<>\x0b\x1c", max_size=40),
    ),
    max_size=6,
).map("\r".join)


@FAST
@given(text=hl7_text)
def test_hl7_parser_names_the_problem_or_parses(text: str) -> None:
    knowledge = default_knowledge()
    for number, message in enumerate(split_messages(text), 1):
        try:
            parse_message(message, number, knowledge)
        except HL7Error as error:
            assert error.field and "Traceback" not in str(error)


@pytest.fixture(scope="module")
def mllp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MLLPServer]:
    knowledge = default_knowledge()
    out = tmp_path_factory.mktemp("mllp")
    config = MllpSettings(knowledge.pack("nice-ng239"), knowledge, out, LocalCodes.empty())
    with MLLPServer(config, port=0, idle_seconds=2) as listener:
        yield listener


@FAST
@given(text=hl7_text, framed=st.booleans())
def test_mllp_listener_answers_or_waits_and_keeps_running(
    mllp: MLLPServer, text: str, framed: bool
) -> None:
    data = (frame_mllp(text) if framed else text).encode("utf-8")
    with socket.create_connection((mllp.host, mllp.port), timeout=5) as connection:
        connection.sendall(data)
        connection.settimeout(0.5)
        try:
            answer = connection.recv(65536)
        except TimeoutError:
            answer = b""
    assert b"Traceback" not in answer
    if framed and answer:
        assert answer.startswith(b"\x0b") and b"MSA|" in answer
    # the listener still takes a good message afterwards
    good = "MSH|^~\\&|LAB|H|COB|H|20260101||ORU^R01|9|P|2.5\rPID|1||1||D^J||19500101|F\rOBX|1|NM|14685-0^B12^LN||150|pmol/L|||||F"
    with socket.create_connection((mllp.host, mllp.port), timeout=5) as connection:
        connection.sendall(frame_mllp(good).encode())
        assert b"MSA|" in connection.recv(65536)


csv_text = st.lists(
    st.lists(
        st.sampled_from(
            [
                "age",
                "sex",
                "b12",
                "b12_unit",
                "50",
                "female",
                "150",
                "pmol/L",
                "",
                '"',
                "x",
                "-1e309",
            ]
        ),
        max_size=5,
    ).map(",".join),
    max_size=5,
).map("\n".join)


@FAST
@given(text=csv_text, name=st.sampled_from(["a.csv", "a.parquet", "a.hl7", "a.txt", "a"]))
def test_lab_uploads_never_fail_inside(server: Server, text: str, name: str) -> None:
    answer = server.client.post(
        "/lab",
        files={"file": (name, text.encode(), "application/octet-stream")},
        data={"pack": "nice-ng239"},
        headers={**server.bearer(), "Accept": "text/html"},
        follow_redirects=False,
    )
    clean(answer)
    if answer.status_code == 303:  # a job: its status is an answer too
        job = answer.headers["location"].rsplit("/", 1)[-1]
        clean(server.client.get(f"/api/v1/jobs/{job}", headers=server.bearer()))


@FAST
@given(
    pack=st.one_of(
        st.text(max_size=200),
        st.dictionaries(
            st.sampled_from(["id", "extends", "title", "override", "cutoffs", "rules"]),
            json_values,
            max_size=5,
        ).map(json.dumps),
    )
)
def test_site_pack_uploads_never_fail_inside(server: Server, pack: str) -> None:
    answer = server.client.post(
        "/api/v1/site-packs",
        content=pack.encode("utf-8", "surrogatepass"),
        headers={**server.bearer(), "Content-Type": "application/yaml"},
    )
    clean(answer)
    assert answer.status_code in (201, 422)
