"""The trust file, the JWK Set cache and the jti replay stores (the HTTP matrix is in
tests/ehr/test_cds_security.py)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from cobalamin.errors import InputError
from cobalamin.interop.jwt_trust import (
    AuthError,
    CdsTokenVerifier,
    JwksCache,
    MemoryReplayStore,
    RedisReplayStore,
    TrustedIssuer,
    https_jwks_fetcher,
    load_trust_file,
    parse_trust,
)

jwt = pytest.importorskip("jwt")
rsa = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.rsa")

AUD = "https://cobalamin.test/cds-services/cobalamin-b12"


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"iss": "https://ehr.test"}, "cds-trust[0]"),  # no key source
        ({"iss": "https://ehr.test", "jwks_url": "http://ehr.test/jwks"}, "cds-trust[0]"),
        (
            {"iss": "https://ehr.test", "jwks": {"keys": []}, "jwks_url": "https://ehr.test/j"},
            "cds-trust[0]",
        ),
        (
            {"iss": "https://ehr.test", "jwks": {"keys": []}, "algorithms": ["HS256"]},
            "cds-trust[0]",
        ),
        ({"iss": "", "jwks": {"keys": []}}, "cds-trust[0].iss"),
        ({"iss": "https://ehr.test", "jwks": {"keys": []}, "colour": "red"}, "cds-trust[0].colour"),
    ],
)
def test_bad_trust_entries_name_the_field(entry: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_trust([entry])
    assert caught.value.field == field


def test_trust_file_must_be_a_list_without_repeats(tmp_path: Any) -> None:
    with pytest.raises(InputError):
        parse_trust({"iss": "x"})
    entry = {"iss": "https://ehr.test", "jwks": {"keys": []}}
    with pytest.raises(InputError, match="twice"):
        parse_trust([entry, entry])
    broken = tmp_path / "trust.json"
    broken.write_text("[{")
    with pytest.raises(InputError, match="not JSON"):
        load_trust_file(broken)
    with pytest.raises(InputError) as caught:
        load_trust_file(tmp_path / "missing.yaml")
    assert caught.value.field == "--cds-trust"


def test_jwks_cache_keeps_sets_and_limits_refetching() -> None:
    now = [1000.0]
    fetched: list[str] = []

    def fetch(url: str) -> dict[str, Any]:
        fetched.append(url)
        return {"keys": [{"n": len(fetched)}]}

    cache = JwksCache(fetch, ttl=3600, refresh_interval=60, clock=lambda: now[0])
    assert cache.get("https://a/jwks")["keys"][0]["n"] == 1
    cache.get("https://a/jwks")
    cache.get("https://a/jwks", refresh=True)  # asked to refresh too soon: still cached
    assert len(fetched) == 1
    now[0] += 61
    assert cache.get("https://a/jwks", refresh=True)["keys"][0]["n"] == 2  # rotation allowed
    now[0] += 3601
    cache.get("https://a/jwks")  # expired
    assert len(fetched) == 3


def test_the_https_fetcher_refuses_plain_http() -> None:
    with pytest.raises(AuthError, match="https"):
        https_jwks_fetcher()("http://127.0.0.1:9/jwks.json")


def test_memory_replay_store_forgets_after_expiry() -> None:
    now = [0.0]
    store = MemoryReplayStore(clock=lambda: now[0])
    assert store.first_use("iss\x00a", 100)
    assert not store.first_use("iss\x00a", 100)
    now[0] = 101
    assert store.first_use("iss\x00a", 200)  # the token it belonged to has expired


def test_redis_replay_store() -> None:
    redis = pytest.importorskip("redis")
    client = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("Redis does not answer on 127.0.0.1:6379")
    store = RedisReplayStore(client, prefix=f"cobalamin:test:{uuid.uuid4()}:")
    key = "https://ehr.test\x00jti-1"
    assert store.first_use(key, time.time() + 60)
    assert not store.first_use(key, time.time() + 60)
    assert client.ttl(store.prefix + key) > 0  # kept only until the token expires


def _rsa_issuer(with_alg: bool) -> tuple[Any, TrustedIssuer]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())) | {"kid": "k1"}
    if with_alg:
        jwk["alg"] = "RS384"
    return key, TrustedIssuer(iss="https://ehr.test", jwks={"keys": [jwk]})


@pytest.mark.parametrize("with_alg", [True, False])
def test_rs384_with_a_jwk_that_names_no_alg(with_alg: bool) -> None:
    """PyJWT reads an RSA JWK without ``alg`` as RS256; the verifier binds the header's alg."""
    key, issuer = _rsa_issuer(with_alg)
    now = int(time.time())
    claims = {"iss": issuer.iss, "aud": AUD, "iat": now, "exp": now + 300, "jti": "j1"}
    token = jwt.encode(claims, key, algorithm="RS384", headers={"kid": "k1", "typ": "JWT"})
    verifier = CdsTokenVerifier([issuer])
    assert verifier.verify(f"Bearer {token}", AUD)["jti"] == "j1"


def test_a_private_key_in_the_set_is_refused() -> None:
    key, issuer = _rsa_issuer(True)
    private = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key)) | {"kid": "k1", "alg": "RS384"}
    issuer = TrustedIssuer(iss=issuer.iss, jwks={"keys": [private]})
    now = int(time.time())
    claims = {"iss": issuer.iss, "aud": AUD, "iat": now, "exp": now + 300, "jti": "j2"}
    token = jwt.encode(claims, key, algorithm="RS384", headers={"kid": "k1", "typ": "JWT"})
    with pytest.raises(AuthError, match="private"):
        CdsTokenVerifier([issuer]).verify(f"Bearer {token}", AUD)
