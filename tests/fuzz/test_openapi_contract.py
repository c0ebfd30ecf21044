"""Contract fuzzing, the short pass: schemathesis over the whole OpenAPI of a real ``cobalamin
serve`` on loopback, every check (but the excluded ones, each with its reason in
``benchmarks/fuzz_openapi.py``), with a records bearer token. No server error, no answer
outside its documented schema. The long pass: ``python benchmarks/fuzz_openapi.py``."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

pytest.importorskip("schemathesis")
sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))

from fuzz_openapi import EXCLUDED_CHECKS, contract_run, serve


@pytest.mark.slow
def test_the_whole_api_keeps_its_contract(tmp_path: Path) -> None:
    if shutil.which("st", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("schemathesis' st command is not in this environment")
    assert set(EXCLUDED_CHECKS) == {"ignored_auth", "positive_data_acceptance"}
    with serve(tmp_path) as running:
        done = contract_run(running, max_examples=5, seed=14)
    report = done.stdout
    assert "Operations:       3" in report  # the whole API was loaded (30-odd operations)
    assert done.returncode == 0, report[-6000:]
    assert "Server error" not in report and "violates schema" not in report
