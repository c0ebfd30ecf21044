"""Request-size limits (413, checked on Content-Length and counted while the body streams)
and the time limit on calculations (503 with Retry-After)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import Message

from cobalamin.defaults import default_knowledge
from cobalamin.web import api
from cobalamin.web.app import create_app
from cobalamin.web.limits import BodyLimit
from cobalamin.web.settings import Settings

CASE = {"person": {"age": 50}, "results": [{"test": "b12", "value": 150, "unit": "pmol/L"}]}


@pytest.fixture
def small(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path, max_body_bytes=1024, lab_max_upload_bytes=64 * 1024)
    with TestClient(create_app(settings, default_knowledge())) as client:
        yield client


def test_a_declared_length_over_the_limit_is_refused_with_413_naming_it(
    small: TestClient,
) -> None:
    padded = {**CASE, "note": "x" * 2000}
    answer = small.post("/api/v1/assess", json=padded)
    assert answer.status_code == 413
    assert answer.json() == {
        "detail": "the request body is larger than this route's limit of 1 KiB"
    }
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert small.post("/api/v1/assess", json=CASE).status_code == 200


def test_a_streamed_body_without_length_is_stopped_at_the_limit(small: TestClient) -> None:
    chunks = (b'{"person": {}, "pad": "' + b"x" * 600, b"x" * 600, b'"}')
    answer = small.post(
        "/api/v1/assess",
        content=iter(chunks),
        headers={"Content-Type": "application/json"},
    )
    assert "content-length" not in {k.lower() for k in answer.request.headers}
    assert answer.status_code == 413
    assert "1 KiB" in answer.json()["detail"]


def test_browsers_get_the_error_page(small: TestClient) -> None:
    answer = small.post(
        "/assess",
        data={"results": "x" * 3000},
        headers={"Accept": "text/html"},
    )
    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith("text/html")
    assert "1 KiB" in answer.text
    assert "content-security-policy" in answer.headers


def test_lab_uploads_have_their_own_larger_limit(small: TestClient) -> None:
    rows = "age,sex,b12,b12_unit\n" + "50,female,150,pmol/L\n" * 200  # ~4 KiB: over 1 KiB
    ok = small.post(
        "/lab",
        files={"file": ("cases.csv", rows, "text/csv")},
        data={"pack": "nice-ng239"},
        follow_redirects=False,
    )
    assert ok.status_code == 303, ok.text
    too_big = small.post(
        "/lab",
        files={"file": ("cases.csv", rows * 20, "text/csv")},  # ~80 KiB: over 64 KiB
        data={"pack": "nice-ng239"},
        headers={"Accept": "text/html"},
    )
    assert too_big.status_code == 413
    assert "64 KiB" in too_big.text


def test_the_body_is_not_read_past_the_limit() -> None:
    """Straight at the middleware: of a thousand 1 KiB chunks, it takes two and stops."""
    taken = 0

    async def receive() -> Message:
        nonlocal taken
        taken += 1
        return {"type": "http.request", "body": b"x" * 1024, "more_body": taken < 1000}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        while (await receive()).get("more_body"):
            pass

    limited = BodyLimit(app, default=1500, uploads={}, respond=lambda *a: None)  # type: ignore[arg-type,return-value]
    scope = {"type": "http", "method": "POST", "path": "/x", "headers": []}

    async def run() -> None:
        await limited(scope, receive, lambda message: asyncio.sleep(0))

    with pytest.raises(Exception, match="413"):
        asyncio.run(run())
    assert taken == 2


@pytest.fixture
def slow_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    def slow_assess(*args: Any) -> Any:
        time.sleep(1.5)
        raise AssertionError("never answered")

    monkeypatch.setattr(api, "assess_one", slow_assess)
    settings = Settings(data_dir=tmp_path, request_timeout_seconds=0.3)
    return create_app(settings, default_knowledge())


def test_a_calculation_over_the_time_limit_gets_503_and_the_server_goes_on(
    slow_app: FastAPI,
) -> None:
    with TestClient(slow_app) as client:
        began = time.monotonic()
        answer = client.post("/api/v1/assess", json=CASE)
        took = time.monotonic() - began
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == "5"
        assert "limit of 0.3 s" in answer.json()["detail"]
        assert took < 1.4  # answered at the limit, not when the work ended
        assert client.get("/health").json() == {"status": "ok"}


def test_limits_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {"COBALAMIN_MAX_BODY_BYTES": "4096", "COBALAMIN_REQUEST_TIMEOUT_SECONDS": "2.5"}
    )
    assert (settings.max_body_bytes, settings.request_timeout_seconds) == (4096, 2.5)
    from cobalamin.errors import InputError

    with pytest.raises(InputError, match="COBALAMIN_LOGIN_ATTEMPTS"):
        Settings.from_env({"COBALAMIN_LOGIN_ATTEMPTS": "many"})


@pytest.fixture
def counted_simulate(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    calls: list[Any] = []
    real = api.simulate_scenario

    def counting(scenario: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(scenario)
        return real(scenario, *args, **kwargs)

    monkeypatch.setattr(api, "simulate_scenario", counting)
    return calls


def test_a_simulation_larger_than_the_budget_is_refused_before_any_work(
    tmp_path: Path, counted_simulate: list[Any]
) -> None:
    settings = Settings(data_dir=tmp_path, simulation_max_person_days=10_000)
    with TestClient(create_app(settings, default_knowledge())) as client:
        crowd = {"days": 100, "population": {"n": 101}}
        answer = client.post("/api/v1/simulate", json=crowd)
        assert answer.status_code == 422
        error = answer.json()["detail"][0]
        assert error["loc"] == ["population.n"]
        assert "101 people x 100 days" in error["msg"]
        assert "10,000" in error["allowed"]
        long_life = client.post("/api/v1/simulate", json={"days": 10_001})
        assert long_life.status_code == 422
        assert long_life.json()["detail"][0]["loc"] == ["days"]
        assert counted_simulate == []  # nothing was computed
        # at the budget, and a scenario the parser refuses for its own reason, go through
        at_limit = client.post("/api/v1/simulate", json={"days": 100, "population": {"n": 100}})
        assert at_limit.status_code == 200
        bad = client.post("/api/v1/simulate", json={"days": "many", "population": {"n": 10**9}})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["days"]
        # numbers the parser reads as whole numbers (a float, a numeric string) count alike
        for n in (101.0, "101"):
            sly = client.post("/api/v1/simulate", json={"days": 100, "population": {"n": n}})
            assert sly.status_code == 422, n
            assert sly.json()["detail"][0]["loc"] == ["population.n"]
        assert len(counted_simulate) == 1


def test_the_simulation_budget_comes_from_the_environment() -> None:
    env = {"COBALAMIN_SIMULATION_MAX_PERSON_DAYS": "5000"}
    assert Settings.from_env(env).simulation_max_person_days == 5000
    assert Settings().simulation_max_person_days == 100_000_000
