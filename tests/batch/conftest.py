from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local Spark session for the whole test run (local[1], UI off)."""
    pytest.importorskip("pyspark")
    from cobalamin.batch.engines import spark_session

    session = spark_session()
    yield session
