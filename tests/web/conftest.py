"""Fixtures of the web tests: an application on a temporary data folder and its client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cobalamin.defaults import default_knowledge
from cobalamin.web.app import create_app
from cobalamin.web.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", lab_enabled=True)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings, default_knowledge())


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client
