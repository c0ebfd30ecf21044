"""FHIR.js (npm ``fhir``, tools/fhir-validate) as an independent R4 validator, plus the checks
it does not make (no null or empty values, unique fullUrls, resolvable urn:uuid references)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

TOOL = Path(__file__).parents[2] / "tools" / "fhir-validate"


def validator_command() -> list[str]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: FHIR.js validation needs it (scripts/setup.sh)")
    if not (TOOL / "node_modules" / "fhir").is_dir():
        pytest.fail(
            "FHIR.js is not installed: run scripts/setup.sh (npm ci in tools/fhir-validate)"
        )
    return [node, str(TOOL / "validate.js")]


def fhirjs(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """FHIR.js's report per resource: ``valid``, ``errors`` (error and fatal messages)."""
    done = subprocess.run(
        validator_command(),
        input=json.dumps(resources),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    report: list[dict[str, Any]] = json.loads(done.stdout)
    return report


def _walk(node: Any, path: str) -> Iterator[str]:
    if node is None:
        yield f"{path} is null"
    elif isinstance(node, str) and not node.strip():
        yield f"{path} is an empty string"
    elif isinstance(node, list):
        if not node:
            yield f"{path} is an empty list"
        for i, item in enumerate(node):
            yield from _walk(item, f"{path}[{i}]")
    elif isinstance(node, dict):
        if not node:
            yield f"{path} is an empty object"
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")


def own_problems(bundle: dict[str, Any]) -> list[str]:
    """What FHIR.js misses: null/empty values, duplicate fullUrls, dangling urn:uuid refs."""
    problems = list(_walk(bundle, "Bundle"))
    urls = [e.get("fullUrl") for e in bundle.get("entry", [])]
    if len(urls) != len(set(urls)):
        problems.append("duplicate fullUrl")
    text = json.dumps(bundle)
    for part in text.split('"reference": "')[1:]:
        reference = part.split('"', 1)[0]
        if reference.startswith("urn:uuid:") and reference not in urls:
            problems.append(f"reference {reference} does not resolve in the Bundle")
    return problems


def assert_valid_r4(*bundles: dict[str, Any]) -> None:
    """Each Bundle and each resource in it pass FHIR.js (R4) and our own checks (one node run)."""
    resources = [r for b in bundles for r in (b, *(e["resource"] for e in b.get("entry", [])))]
    report = fhirjs(resources)
    bad = [(r["resourceType"], r["errors"]) for r in report if not r["valid"]]
    assert not bad, bad
    for bundle in bundles:
        assert not own_problems(bundle), own_problems(bundle)
