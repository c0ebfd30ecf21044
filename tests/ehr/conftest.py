"""A stand-in EHR for the CDS Hooks and FHIR tests.

- ``tls``: a throw-away certificate authority and a server certificate for 127.0.0.1, made
  with ``cryptography``; the client side trusts it through an ``ssl.SSLContext`` (nothing is
  installed system-wide). JWK Sets and the FHIR server are served over https, as in production.
- ``ehr_server``: one https server on loopback that serves the EHR's JWK Set and answers FHIR
  reads and searches from a dict; it records each request (path and Authorization header).
- ``StandInEhr``: the EHR's signing keys (EC P-384 for ES384, RSA for RS384) and its JWTs.
"""

from __future__ import annotations

import datetime as dt
import json
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import pytest

jwt = pytest.importorskip("jwt")
pytest.importorskip("fastapi")
pytest.importorskip("fhir.resources")

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, rsa  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402
from fastapi import HTTPException, Request  # noqa: E402

EHR_ISS = "https://ehr.test/issuer"
PUBLIC_URL = "https://cobalamin.test"
TOKEN = "records-token-for-tests"


@dataclass(frozen=True)
class Tls:
    cert_file: Path
    key_file: Path
    client: ssl.SSLContext


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    folder = tmp_path_factory.mktemp("tls")
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cobalamin test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_file, key_file = folder / "server.pem", folder / "server.key"
    cert_file.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    client = ssl.create_default_context(
        cadata=ca.public_bytes(serialization.Encoding.PEM).decode("ascii")
    )
    return Tls(cert_file, key_file, client)


@dataclass
class EhrServer:
    """What the stand-in EHR serves: its JWK Set and FHIR resources by path (+ query)."""

    base: str = ""
    jwks: dict[str, Any] = field(default_factory=lambda: {"keys": []})
    fhir: dict[str, Any] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)

    @property
    def jwks_url(self) -> str:
        return f"{self.base}/.well-known/jwks.json"

    @property
    def fhir_base(self) -> str:
        return f"{self.base}/fhir"


@pytest.fixture(scope="session")
def ehr_server(tls: Tls) -> Iterator[EhrServer]:
    state = EhrServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append((self.path, self.headers.get("Authorization")))
            if self.path == "/.well-known/jwks.json":
                body: Any = state.jwks
            elif self.path.startswith("/fhir/") and self.path[len("/fhir/") :] in state.fhir:
                body = state.fhir[self.path[len("/fhir/") :]]
            else:
                self.send_response(404)
                self.end_headers()
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls.cert_file, tls.key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    state.base = f"https://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


class StandInEhr:
    """An EHR that signs its CDS Hooks calls with its own keys."""

    def __init__(self, iss: str = EHR_ISS) -> None:
        self.iss = iss
        self.ec_key = ec.generate_private_key(ec.SECP384R1())
        self.rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kids = {"ES384": f"ec-{uuid.uuid4()}", "RS384": f"rsa-{uuid.uuid4()}"}

    def private_key(self, alg: str) -> Any:
        return self.ec_key if alg.startswith("ES") else self.rsa_key

    def jwks(self) -> dict[str, Any]:
        keys = []
        for alg, kid in self.kids.items():
            jwk = json.loads(
                jwt.algorithms.get_default_algorithms()[alg].to_jwk(
                    self.private_key(alg).public_key()
                )
            )
            keys.append(jwk | {"kid": kid, "use": "sig", "alg": alg})
        return {"keys": keys}

    def token(
        self,
        aud: str,
        *,
        alg: str = "ES384",
        kid: str | None = None,
        key: Any = None,
        header: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        payload = {
            "iss": self.iss,
            "aud": aud,
            "iat": now,
            "exp": now + 300,
            "jti": str(uuid.uuid4()),
        }
        payload |= claims
        payload = {k: v for k, v in payload.items() if v is not None}
        headers = {"typ": "JWT", "kid": kid or self.kids.get(alg, "none")} | (header or {})
        signing_key = key if key is not None else self.private_key(alg)
        return jwt.encode(payload, signing_key, algorithm=alg, headers=headers)


@pytest.fixture(scope="session")
def ehr(ehr_server: EhrServer) -> StandInEhr:
    stand_in = StandInEhr()
    ehr_server.jwks = stand_in.jwks()
    return stand_in


def bearer_stub(request: Request) -> None:
    """Stands in for the records' bearer-token check: one known token passes."""
    if request.headers.get("authorization") != f"Bearer {TOKEN}":
        raise HTTPException(401, headers={"WWW-Authenticate": "Bearer"})


@dataclass
class Service:
    client: Any  # fastapi.testclient.TestClient
    installed: Any  # cobalamin.web.ehr.EhrServices
    ehr: StandInEhr
    server: EhrServer

    def url(self, service: str = "", feedback: bool = False) -> str:
        path = (
            "/cds-services" + (f"/{service}" if service else "") + ("/feedback" if feedback else "")
        )
        return path

    def aud(self, service: str = "", feedback: bool = False) -> str:
        return PUBLIC_URL + self.url(service, feedback)

    def post(
        self,
        service: str,
        body: Any,
        *,
        token: str | None = "",
        feedback: bool = False,
        **headers: str,
    ) -> Any:
        """POST with a fresh valid ES384 token unless ``token`` is given (None: no header)."""
        if token == "":
            token = self.ehr.token(self.aud(service, feedback))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.client.post(self.url(service, feedback), json=body, headers=headers)


@pytest.fixture
def make_service(ehr: StandInEhr, ehr_server: EhrServer, tls: Tls) -> Any:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from cobalamin import default_knowledge
    from cobalamin.interop.jwt_trust import TrustedIssuer
    from cobalamin.web.ehr import install_ehr

    def make(pack: str = "nice-ng239", **options: Any) -> Service:
        app = FastAPI()
        options.setdefault("issuers", [TrustedIssuer(iss=ehr.iss, jwks_url=ehr_server.jwks_url)])
        options.setdefault("tls_verify", tls.client)
        installed = install_ehr(
            app,
            public_url=PUBLIC_URL,
            trust_file=options.pop("trust_file", None),
            bearer_dependency=bearer_stub,
            knowledge=default_knowledge(),
            pack=pack,
            **options,
        )
        return Service(TestClient(app), installed, ehr, ehr_server)

    return make
