from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "storage"))

from fastapi.testclient import TestClient
from records_databases import db_url, postgres_database
from records_helpers import RecordsSite, make_site

__all__ = ["db_url", "postgres_database", "site"]


@pytest.fixture
def site(db_url: str) -> Iterator[RecordsSite]:
    """A records app on an empty database (SQLite, then PostgreSQL), with one user per role."""
    made = make_site(db_url)
    with TestClient(made.app) as client:
        made.client = client
        yield made
    made.context.engine.dispose()
