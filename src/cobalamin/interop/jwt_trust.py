"""Which CDS clients (EHRs) cobalamin trusts, and the check of the JWT each call carries.

CDS Hooks 2.0, "Trusting CDS Clients": every call carries ``Authorization: Bearer <JWT>``
signed with the client's private key; header ``alg``, ``kid``, ``typ`` (``JWT``), optional
``jku``; claims ``iss``, ``aud`` (the URL of the endpoint called), ``exp``, ``iat``, ``jti``,
optional ``tenant``. "JWTs SHALL NOT be signed using the none algorithm" nor a symmetric one;
ES384 and RS384 are recommended, and are what we accept unless the trust file says otherwise.

The trust file (``cobalamin serve --cds-trust FILE``, JSON or YAML) lists the trusted issuers:

    - iss: https://ehr.example.org
      jwks_url: https://ehr.example.org/.well-known/jwks.json   # or: jwks: {"keys": [...]}
      tenants: [hospital-a]          # optional allowlist of the tenant claim
      algorithms: [ES384, RS384]     # optional; asymmetric algorithms only

A token is refused (``AuthError``; the HTTP layer answers 401 and says nothing more) when it
is missing or malformed, its ``alg`` is not allowed (``none``, HS*), its issuer is not
trusted, its ``jku`` is not the issuer's ``jwks_url``, its ``kid`` is not in the issuer's key
set, the signature fails, ``aud`` is not the endpoint's own URL, it has expired, ``iat`` lies
in the future or more than ``max_age`` back, ``exp`` lies more than ``max_age`` ahead, the
tenant is not allowed, or its ``jti`` was seen before (kept until the token expires).

JWK Sets are fetched over https only, cached for ``ttl`` seconds, and fetched again on an
unknown ``kid`` at most once per ``refresh_interval`` (key rotation without letting tokens
force fetches). Only the ``jwks_url`` of a trusted issuer is ever fetched. Reasons are logged
with ``iss`` and ``jti``; a token is never logged or stored.
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import jwt
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cobalamin.datafiles import parse_yaml_text
from cobalamin.errors import InputError, KnowledgeError

__all__ = [
    "ACCEPTED_ALGORITHMS",
    "AuthError",
    "CdsTokenVerifier",
    "JwksCache",
    "MemoryReplayStore",
    "RedisReplayStore",
    "ReplayStore",
    "TrustedIssuer",
    "https_jwks_fetcher",
    "load_trust_file",
    "parse_trust",
]

log = logging.getLogger("cobalamin.ehr.auth")

ACCEPTED_ALGORITHMS = ("ES384", "RS384")  # the spec's recommendation, and our default
ASYMMETRIC = ("ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
_KEY_TYPE = {"ES": "EC", "RS": "RSA", "PS": "RSA"}
_CURVE = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}


class AuthError(Exception):
    """A token that is not accepted; the message is for the log, never for the caller."""


class TrustedIssuer(BaseModel):
    """One trusted CDS client: its ``iss`` and where its public keys are."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    iss: str = Field(min_length=1)
    jwks_url: str | None = None
    jwks: dict[str, Any] | None = None
    tenants: tuple[str, ...] = ()
    algorithms: tuple[str, ...] = ACCEPTED_ALGORITHMS

    @model_validator(mode="after")
    def _one_key_source(self) -> TrustedIssuer:
        if (self.jwks_url is None) == (self.jwks is None):
            raise ValueError("give exactly one of jwks_url and jwks")
        if self.jwks_url is not None and urlsplit(self.jwks_url).scheme != "https":
            raise ValueError("jwks_url must be an https URL")
        if self.jwks is not None and not isinstance(self.jwks.get("keys"), list):
            raise ValueError("jwks must be a JWK Set: {'keys': [...]}")
        unknown = [a for a in self.algorithms if a not in ASYMMETRIC]
        if unknown or not self.algorithms:
            raise ValueError(f"algorithms must be asymmetric: {', '.join(ASYMMETRIC)}")
        return self


def parse_trust(data: Any, where: str = "cds-trust") -> tuple[TrustedIssuer, ...]:
    """Trusted issuers from parsed JSON/YAML: a list of ``{iss, jwks_url | jwks, ...}``."""
    if not isinstance(data, list):
        raise InputError(where, "must be a list of {iss, jwks_url | jwks}")
    issuers: list[TrustedIssuer] = []
    for index, entry in enumerate(data):
        try:
            issuers.append(TrustedIssuer.model_validate(entry))
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            loc = ".".join(str(p) for p in first["loc"])
            raise InputError(f"{where}[{index}]{'.' + loc if loc else ''}", first["msg"]) from None
    seen = [i.iss for i in issuers]
    if len(seen) != len(set(seen)):
        raise InputError(where, "an iss is listed twice")
    return tuple(issuers)


def load_trust_file(path: Path | str) -> tuple[TrustedIssuer, ...]:
    """The trust file named by ``--cds-trust`` (JSON or YAML)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError("--cds-trust", f"cannot read {path}: {exc.strerror}") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(str(path), f"not JSON: {exc.msg} (line {exc.lineno})") from None
    else:
        try:
            data = parse_yaml_text(text, str(path)).data
        except KnowledgeError as exc:
            raise InputError(exc.where, exc.message) from None
    return parse_trust(data, str(path))


# --- key sets --------------------------------------------------------------------------------

Fetch = Callable[[str], Mapping[str, Any]]


def https_jwks_fetcher(
    verify: ssl.SSLContext | bool = True, timeout: float = 3.0, max_bytes: int = 256_000
) -> Fetch:
    """Fetches a JWK Set over https (``verify``: certificate check, e.g. an SSLContext that
    trusts a private CA). Plain http is refused."""
    import httpx

    def fetch(url: str) -> Mapping[str, Any]:
        if urlsplit(url).scheme != "https":
            raise AuthError("JWKS URL is not https")
        try:
            response = httpx.get(url, timeout=timeout, verify=verify, follow_redirects=False)
        except httpx.HTTPError as exc:
            raise AuthError(f"JWKS fetch failed: {type(exc).__name__}") from None
        if response.status_code != 200 or len(response.content) > max_bytes:
            raise AuthError(f"JWKS fetch answered {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            raise AuthError("JWKS is not JSON") from None
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
            raise AuthError("JWKS has no keys list")
        return data

    return fetch


@dataclass
class JwksCache:
    """JWK Sets by URL: kept ``ttl`` seconds; refetched on demand at most every
    ``refresh_interval`` seconds."""

    fetch: Fetch
    ttl: float = 3600.0
    refresh_interval: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _sets: dict[str, tuple[float, Mapping[str, Any]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, url: str, *, refresh: bool = False) -> Mapping[str, Any]:
        with self._lock:
            now = self.clock()
            held = self._sets.get(url)
            if held is not None:
                age = now - held[0]
                if age < self.ttl and not (refresh and age >= self.refresh_interval):
                    return held[1]
            keys = self.fetch(url)
            self._sets[url] = (now, keys)
            return keys


# --- replayed jti ----------------------------------------------------------------------------


class ReplayStore(Protocol):
    def first_use(self, key: str, expires_at: float) -> bool:
        """Record ``key`` until ``expires_at`` (epoch seconds); False if it was already seen."""
        ...


@dataclass
class MemoryReplayStore:
    """Seen jtis in memory (one process), each kept until its token expires."""

    clock: Callable[[], float] = time.time
    _seen: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def first_use(self, key: str, expires_at: float) -> bool:
        with self._lock:
            now = self.clock()
            if len(self._seen) > 1000:  # purge now and then, not on every call
                self._seen = {k: e for k, e in self._seen.items() if e > now}
            if self._seen.get(key, 0.0) > now:
                return False
            self._seen[key] = expires_at
            return True

    def __len__(self) -> int:
        return len(self._seen)


class _RedisClient(Protocol):
    def set(self, name: str, value: str, *, nx: bool, exat: int) -> Any: ...


@dataclass
class RedisReplayStore:
    """Seen jtis in Redis (shared by every worker): ``SET key 1 NX EXAT exp``."""

    client: _RedisClient
    prefix: str = "cobalamin:cds:jti:"

    @classmethod
    def from_url(cls, url: str) -> RedisReplayStore:
        import redis

        return cls(redis.Redis.from_url(url))

    def first_use(self, key: str, expires_at: float) -> bool:
        return bool(self.client.set(self.prefix + key, "1", nx=True, exat=int(expires_at) + 1))


# --- the check -------------------------------------------------------------------------------


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise AuthError("no Authorization header")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("Authorization is not a Bearer token")
    return token.strip()


def _select_key(key_set: Mapping[str, Any], kid: str, alg: str) -> jwt.PyJWK | None:
    """The key with this kid, if it fits the algorithm; None if the kid is not there."""
    found = [k for k in key_set.get("keys", []) if isinstance(k, dict) and k.get("kid") == kid]
    if not found:
        return None
    if len(found) > 1:
        raise AuthError("kid is ambiguous in the key set")
    key = found[0]
    if key.get("use", "sig") != "sig" or key.get("alg", alg) != alg:
        raise AuthError("key is not for this algorithm")
    if key.get("kty") != _KEY_TYPE[alg[:2]] or (alg in _CURVE and key.get("crv") != _CURVE[alg]):
        raise AuthError("key type does not fit the algorithm")
    if "d" in key:
        raise AuthError("key set holds a private key")
    try:
        return jwt.PyJWK(key, algorithm=alg)  # bind the algorithm: an RSA JWK without alg
    except (jwt.PyJWTError, ValueError, TypeError) as exc:  # defaults to RS256 otherwise
        raise AuthError(f"unusable key: {type(exc).__name__}") from None


class CdsTokenVerifier:
    """Verifies the JWT of a CDS Hooks call against the trusted issuers."""

    def __init__(
        self,
        issuers: Sequence[TrustedIssuer],
        *,
        jwks: JwksCache | None = None,
        replay: ReplayStore | None = None,
        leeway: float = 30.0,
        max_age: float = 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuers = {i.iss: i for i in issuers}
        self.jwks = jwks or JwksCache(https_jwks_fetcher())
        self.replay = replay or MemoryReplayStore()
        self.leeway = leeway
        self.max_age = max_age
        self.clock = clock

    def verify(self, authorization: str | None, audience: str) -> dict[str, Any]:
        """The token's claims; ``AuthError`` (logged with iss and jti) when not accepted."""
        claims: Mapping[str, Any] = {}
        try:
            token = _bearer(authorization)
            try:
                header = jwt.get_unverified_header(token)
                claims = jwt.decode(token, options={"verify_signature": False})
            except jwt.PyJWTError:
                raise AuthError("malformed token") from None
            return self._verify(token, header, claims, audience)
        except AuthError as exc:
            log.info(
                "CDS Hooks token refused: %s (iss=%r, jti=%r)",
                exc,
                str(claims.get("iss", ""))[:200],
                str(claims.get("jti", ""))[:200],
            )
            raise

    def _verify(
        self, token: str, header: Mapping[str, Any], unverified: Mapping[str, Any], audience: str
    ) -> dict[str, Any]:
        issuer = self.issuers.get(str(unverified.get("iss")))
        if issuer is None:
            raise AuthError("issuer is not trusted")
        alg = header.get("alg")
        if alg not in issuer.algorithms or alg not in ASYMMETRIC:
            raise AuthError(f"algorithm {alg!r} is not accepted")
        if header.get("typ") != "JWT":
            raise AuthError("typ is not JWT")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthError("no kid")
        jku = header.get("jku")
        if jku is not None and jku != issuer.jwks_url:
            raise AuthError("jku is not the issuer's JWKS URL")
        key = self._key(issuer, kid, str(alg))
        now = self.clock()
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=[str(alg)],
                audience=audience,
                issuer=issuer.iss,
                leeway=self.leeway,
                options={"require": ["iss", "aud", "exp", "iat", "jti"], "verify_iat": True},
            )
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise AuthError(f"token rejected: {type(exc).__name__}") from None
        iat, exp = float(claims["iat"]), float(claims["exp"])
        if iat > now + self.leeway or now - iat > self.max_age:
            raise AuthError("iat is outside the accepted window")
        if exp - now > self.max_age:
            raise AuthError("exp lies too far ahead")
        if issuer.tenants and claims.get("tenant") not in issuer.tenants:
            raise AuthError("tenant is not allowed")
        jti = claims["jti"]
        if not isinstance(jti, str) or not jti:
            raise AuthError("jti is empty")
        if not self.replay.first_use(f"{issuer.iss}\x00{jti}", exp + self.leeway):
            raise AuthError("jti was used before")
        return claims

    def _key(self, issuer: TrustedIssuer, kid: str, alg: str) -> jwt.PyJWK:
        if issuer.jwks is not None:
            key = _select_key(issuer.jwks, kid, alg)
        else:
            assert issuer.jwks_url is not None
            key = _select_key(self.jwks.get(issuer.jwks_url), kid, alg)
            if key is None:  # perhaps a rotated key: fetch again (rate limited)
                key = _select_key(self.jwks.get(issuer.jwks_url, refresh=True), kid, alg)
        if key is None:
            raise AuthError("kid is not in the issuer's key set")
        return key
