"""Rate limits: the sliding window (in memory and in Redis), sign-in attempts, failed bearer
tokens and failed CDS Hooks JWTs, each answered 429 with Retry-After over the limit."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cobalamin.defaults import default_knowledge
from cobalamin.storage.accounts import add_user
from cobalamin.web.ratelimit import MemoryWindow, RedisWindow
from cobalamin.web.server import build_app
from cobalamin.web.settings import Settings

PASSWORD = "a long enough test password"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_memory_window_slides() -> None:
    clock = Clock()
    window = MemoryWindow(3, 60.0, clock=clock)
    assert [window.hit("a") for _ in range(3)] == [None, None, None]
    assert window.blocked("a") == 60.0
    clock.now += 10
    assert window.hit("a") == 50.0  # the first event leaves the window in 50 s
    assert window.hit("b") is None  # another address has its own count
    clock.now += 50.001
    assert window.blocked("a") is None
    assert window.hit("a") is None


def test_the_redis_window_counts_across_clients() -> None:
    redis = pytest.importorskip("redis")
    client = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"cobalamin:test:{uuid.uuid4().hex}:"
    first = RedisWindow(client, 2, 30.0, prefix=prefix)
    second = RedisWindow(redis.Redis(host="127.0.0.1", port=6379), 2, 30.0, prefix=prefix)
    try:
        assert first.hit("k") is None
        assert second.hit("k") is None  # a second worker sees the first one's event
        assert first.blocked("k") == 30.0
        wait = second.hit("k")
        assert wait is not None and 29.0 < wait <= 30.0
    finally:
        client.delete(prefix + "k")


@pytest.fixture
def server(tmp_path: Path) -> TestClient:
    settings = Settings(data_dir=tmp_path, login_attempts=3, token_failures=4, cds_trust=None)
    return TestClient(build_app(settings, default_knowledge()))


def _login_token(client: TestClient) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert found is not None
    return found.group(1)


def test_sign_in_attempts_are_limited(server: TestClient) -> None:
    with server:
        form = {"username": "nobody", "password": "wrong", "csrf_token": _login_token(server)}
        for _ in range(3):
            failed = server.post("/login", data=form)
            assert failed.status_code == 401
            found = re.search(r'name="csrf_token" value="([^"]+)"', failed.text)
            assert found is not None
            form["csrf_token"] = found.group(1)  # each answer sets a new form token
        refused = server.post("/login", data=form, headers={"Accept": "text/html"})
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert "failed sign-in attempts" in refused.text


def test_successful_sign_ins_do_not_count(tmp_path: Path) -> None:
    """Many users behind one address (a hospital's NAT) all sign in: only failures count."""
    settings = Settings(data_dir=tmp_path, login_attempts=3, token_failures=4, cds_trust=None)
    app = build_app(settings, default_knowledge())
    with app.state.records.sessions() as session:
        add_user(session, "doc", "clinician", PASSWORD)
        session.commit()
    with TestClient(app) as client:
        for _ in range(6):
            form = {"username": "doc", "password": PASSWORD, "csrf_token": _login_token(client)}
            signed_in = client.post("/login", data=form, follow_redirects=False)
            assert signed_in.status_code == 303


def test_failed_bearer_tokens_are_limited_then_even_a_good_one_waits(
    server: TestClient,
) -> None:
    with server:
        bad = {"Authorization": "Bearer cbl_not_a_token"}
        codes = [server.get("/api/v1/patients", headers=bad).status_code for _ in range(4)]
        assert codes == [401] * 4
        refused = server.get("/api/v1/patients", headers=bad)
        assert refused.status_code == 429
        assert refused.json()["detail"].startswith("too many failed tokens")
        assert "retry-after" in refused.headers
        fhir = server.post("/fhir/$interpret?pack=nice-ng239", headers=bad, json={})
        assert fhir.status_code == 429
        # without a token the calculators stay open: only token guessing is slowed
        assert server.get("/api/v1/packs").status_code == 200


def test_failed_cds_jwts_are_limited(server: TestClient) -> None:
    with server:
        bad = {"Authorization": "Bearer not.a.jwt"}
        url = "/cds-services/cobalamin-b12"
        codes = [server.post(url, headers=bad, json={}).status_code for _ in range(4)]
        assert codes == [401] * 4
        refused = server.post(url, headers=bad, json={})
        assert refused.status_code == 429
        assert "retry-after" in refused.headers
