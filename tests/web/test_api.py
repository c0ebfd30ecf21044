"""The JSON API returns exactly what the command line prints, and the CLI's errors as 422."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cobalamin.cli.app import app as cli_app

CASES = Path(__file__).parents[1] / "packs" / "cases"


def _cases() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(CASES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in data["cases"]:
            results = []
            for test, text in case["results"].items():
                if " " not in str(text):  # a qualitative result: positive, negative, ...
                    results.append({"test": test, "value": str(text)})
                    continue
                value, unit = str(text).split(" ", 1)
                results.append({"test": test, "value": float(value), "unit": unit})
            found.append((data["pack"], {"person": case.get("person", {}), "results": results}))
    return found


def _cli(args: list[str], stdin: Any = None) -> tuple[int, Any, str]:
    """Run the ``cobalamin`` command in-process: exit code, parsed JSON (or None), stderr."""
    text = None if stdin is None else json.dumps(stdin)
    result = CliRunner().invoke(cli_app, args, input=text)
    try:
        parsed = json.loads(result.stdout)
    except ValueError:
        parsed = None
    return result.exit_code, parsed, result.stderr


@pytest.mark.parametrize(("pack", "case"), _cases(), ids=lambda v: v if isinstance(v, str) else "")
@pytest.mark.parametrize("lang", ["en", "nl"])
def test_assess_returns_the_cli_json_on_every_pack_case(
    client: TestClient, pack: str, case: dict[str, Any], lang: str
) -> None:
    code, expected, _ = _cli(
        ["assess", "-", "--pack", pack, "--format", "json", "--lang", lang], case
    )
    assert code == 0
    response = client.post(f"/api/v1/assess?pack={pack}&lang={lang}", json=case)
    assert response.status_code == 200
    assert response.json() == expected


def test_health(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}


CASE = {
    "person": {"age": 34, "sex": "female", "pregnant": True, "diet": "vegan",
               "medications": ["folic_acid"], "symptoms": ["paraesthesia"]},
    "results": [{"test": "b12", "value": 180, "unit": "pmol/L"},
                {"test": "mma", "value": 0.52, "unit": "umol/L"}],
}  # fmt: skip


@pytest.mark.parametrize(
    ("route", "body", "args"),
    [
        ("/api/v1/compare?lang=nl", CASE, ["compare", "-", "--format", "json", "--lang", "nl"]),
        ("/api/v1/workup?pack=bsh-2014", CASE, ["workup", "-", "--pack", "bsh-2014", "--format", "json"]),
        ("/api/v1/screen", CASE, ["screen", "-", "--format", "json"]),
        ("/api/v1/screen?pack=nhg-anemie&lang=nl", {"age": 60, "medications": [{"id": "metformin", "months": 24}]},
         ["screen", "-", "--pack", "nhg-anemie", "--format", "json", "--lang", "nl"]),
        ("/api/v1/intake", {"meals": [{"time": "08:00", "items": [{"food": "semi-skimmed milk", "amount_g": 150}]}]},
         ["intake", "-", "--format", "json"]),
        ("/api/v1/simulate", {"days": 200, "person": {"diet": "vegan"}, "intake": {"food_ug_per_day": 0.5}},
         ["simulate", "-", "--format", "json"]),
    ],
)  # fmt: skip
def test_post_routes_mirror_the_cli(
    client: TestClient, route: str, body: Any, args: list[str]
) -> None:
    code, expected, _ = _cli(args, body)
    assert code == 0
    response = client.post(route, json=body)
    assert response.status_code == 200
    assert response.json() == expected


def test_plan_and_follow_up_mirror_the_cli(client: TestClient) -> None:
    _, expected, _ = _cli(
        ["plan", "--regimen", "nhg-im-hydroxo", "--start", "2026-01-05", "--pregnant",
         "--skip-weekends", "--format", "json", "--lang", "nl"]
    )  # fmt: skip
    body = {
        "regimen": "nhg-im-hydroxo",
        "start": "2026-01-05",
        "pregnant": True,
        "skip_weekends": True,
    }
    assert client.post("/api/v1/plan?lang=nl", json=body).json() == expected
    ics = client.post("/api/v1/plan?format=ics", json=body)
    assert ics.headers["content-type"].startswith("text/calendar")
    assert ics.text.count("BEGIN:VEVENT") == len(expected["doses"]) + len(expected["reviews"])
    _, follow, _ = _cli(["follow-up", "--start", "2026-01-05", "--regimen", "nice-im", "--response", "improved", "--format", "json"])  # fmt: skip
    body = {"start": "2026-01-05", "regimen": "nice-im", "response": "improved"}
    assert client.post("/api/v1/follow-up", json=body).json() == follow


def test_packs_and_pack_mirror_the_cli(client: TestClient) -> None:
    _, expected, _ = _cli(["packs", "list", "--format", "json"])
    assert client.get("/api/v1/packs").json() == expected
    pack = client.get("/api/v1/packs/gelderse-vallei").json()
    assert pack["cutoffs"]["b12_low"]["value"] == 150
    assert pack["sources"]["gelderse-vallei-leaflet"]["kind"] == "patient-information"
    grey = next(r for t in pack["tables"] for r in t["rules"] if r["id"] == "gv_b12_grey")
    assert grey["when"] == ["b12 ≥ b12_low (150 pmol/L)", "b12 ≤ b12_high (220 pmol/L)"]
    assert client.get("/api/v1/packs/no-such-pack").status_code == 404


def test_foods_search(client: TestClient) -> None:
    _, expected, _ = _cli(["intake", "--search", "kaas", "--format", "json"])
    assert client.get("/api/v1/foods?q=kaas").json() == expected


@pytest.mark.parametrize(
    ("route", "body", "args"),
    [
        ("/api/v1/assess?pack=nice-ng239", {"results": [{"test": "b12", "value": 180}]}, ["assess", "-", "--format", "json"]),
        ("/api/v1/assess?pack=nice-ng239", {"results": [{"test": "b13", "value": 1, "unit": "pmol/L"}]}, ["assess", "-", "--format", "json"]),
        ("/api/v1/assess?pack=nice-ng239", {"person": {"diet": "carnivore"}}, ["assess", "-", "--format", "json"]),
        ("/api/v1/assess?pack=no-such-pack", CASE, ["assess", "-", "--pack", "no-such-pack", "--format", "json"]),
        ("/api/v1/screen", {"medications": ["aspirin"]}, ["screen", "-", "--format", "json"]),
        ("/api/v1/simulate", {"person": {}}, ["simulate", "-", "--format", "json"]),
        ("/api/v1/intake", {"meals": [{"time": "25:00", "items": [{"b12_ug": 1}]}]}, ["intake", "-", "--format", "json"]),
    ],
)  # fmt: skip
def test_bad_input_is_422_with_the_cli_message(
    client: TestClient, route: str, body: Any, args: list[str]
) -> None:
    code, _, stderr = _cli(args, body)
    assert code == 2
    response = client.post(route, json=body)
    assert response.status_code == 422
    data = response.json()
    assert f"error: {data['message']}\n" == stderr
    assert data["detail"][0]["loc"][0] in data["message"]


def test_plan_errors_name_the_field(client: TestClient) -> None:
    response = client.post("/api/v1/plan", json={"regimen": "nope", "start": "2026-01-05"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["regimen"]
    assert "nhg-im-hydroxo" in response.json()["detail"][0]["allowed"]
    assert client.post("/api/v1/plan", json={"regimen": "nice-im"}).json()["detail"][0]["loc"] == [
        "start"
    ]
    assert client.post("/api/v1/assess", content=b"{not json").status_code == 422


def test_openapi_documents_every_route_and_its_errors(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for route in ("assess", "compare", "screen", "plan", "follow-up", "workup", "intake",
                  "simulate", "packs", "packs/{pack_id}", "sources", "foods", "regimens"):  # fmt: skip
        operations = paths[f"/api/v1/{route}"]
        for operation in operations.values():
            assert "422" in operation["responses"], route
    assert "/health" in paths
    assert "ErrorResponse" in spec["components"]["schemas"]


def test_sources_answers_the_bibliography_or_501(client: TestClient) -> None:
    response = client.get("/api/v1/sources")
    if response.status_code == 501:
        assert response.json()["detail"][0]["type"] == "not_implemented"
    else:
        assert response.status_code == 200 and response.json()


def test_a_setting_closes_the_calculators(tmp_path: Path) -> None:
    from cobalamin.web.app import create_app
    from cobalamin.web.settings import Settings

    closed = create_app(Settings(data_dir=tmp_path, open_calculators=False))
    with TestClient(closed) as client:
        assert client.post("/api/v1/assess", json=CASE).status_code == 401
        assert client.get("/self-check", headers={"accept": "text/html"}).status_code == 401
        assert client.get("/health").status_code == 200
    opened = create_app(
        Settings(data_dir=tmp_path, open_calculators=False), user_loader=lambda r: "someone"
    )
    with TestClient(opened) as client:
        assert client.post("/api/v1/assess", json=CASE).status_code == 200
