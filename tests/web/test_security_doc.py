"""docs/security.md's route table names exactly the server's routes (it cannot go stale)."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.routing import iter_route_contexts

from cobalamin.web.server import build_app
from cobalamin.web.settings import Settings

DOC = Path(__file__).parents[2] / "docs" / "security.md"


def _documented() -> set[str]:
    text = DOC.read_text(encoding="utf-8")
    table = text.split("## Routes and what protects them", 1)[1].split("\n## ", 1)[0]
    found: set[str] = set()
    for line in table.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            found.update(re.findall(r"`([A-Z*]+ [^`]+)`", first_cell))
    return found


def test_every_route_is_in_the_threat_model_and_no_other(tmp_path: Path) -> None:
    app = build_app(Settings(data_dir=tmp_path))
    routes = set()
    for context in iter_route_contexts(app.routes):
        methods = sorted((context.methods or {"*"}) - {"HEAD"})
        routes.update(f"{m} {context.path}" for m in methods)
    documented = _documented()
    assert len(routes) > 60
    assert sorted(routes - documented) == [], "routes missing from docs/security.md"
    assert sorted(documented - routes) == [], "docs/security.md names routes that do not exist"
