"""The web's own pieces: catalogue, language choice, charts, settings, the serve command."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from typer.testing import CliRunner

from cobalamin.errors import InputError
from cobalamin.web import charts
from cobalamin.web.i18n import LOCALE_DIR, choose_language, extract_messages, format_number
from cobalamin.web.settings import Settings

SVG = "{http://www.w3.org/2000/svg}"


def test_every_message_has_a_dutch_translation() -> None:
    with (LOCALE_DIR / "nl" / "LC_MESSAGES" / "cobalamin.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id: m.string for m in catalog if m.id}
    used = extract_messages()
    assert len(used) > 100
    missing = [m for m in used if not translated.get(m)]
    assert missing == []
    unused = set(translated) - set(used)
    assert unused == set()


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        ("nl", "en", "en", "nl"),
        (None, "nl", "en", "nl"),
        ("xx", None, "nl-BE,nl;q=0.9,en;q=0.8", "nl"),
        (None, None, "fr, en;q=0.3, nl;q=0.2", "en"),
        (None, None, "fr", "en"),
        (None, None, "nl;q=0", "en"),
    ],
)
def test_choose_language(query: str | None, cookie: str | None, accept: str, expected: str) -> None:
    assert choose_language(query, cookie, accept) == expected


def test_format_number() -> None:
    assert format_number(0.70, "nl", 2) == "0,7"
    assert format_number(4.0, "en") == "4"


def test_line_chart_tells_series_apart_without_colour() -> None:
    svg = charts.line_chart(
        "Stores", [0, 1, 2, 3], [charts.Series("one", [3, 2, 1, 0]), charts.Series("two", [1, 1, None, 1])],
        x_label="days", y_label="µg", limits=[charts.Limit("limit", 1.5)],
    )  # fmt: skip
    root = ET.fromstring(svg)
    lines = root.findall(f"{SVG}polyline")
    assert len(lines) == 2
    assert {line.get("stroke-dasharray") for line in lines} == {None, "8 4"}
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"one", "two", "limit", "days", "µg", "Stores"} <= set(texts)
    assert root.find(f"{SVG}title") is not None and root.get("role") == "img"


def test_bar_chart_writes_each_value() -> None:
    svg = charts.bar_chart(
        "Today", [charts.Bar("in", 0.7, "0.7 µg"), charts.Bar("ref", 4, "4 µg")], unit_label="µg"
    )
    root = ET.fromstring(svg)
    assert {"0.7 µg", "4 µg", "in", "ref"} <= {t.text for t in root.iter(f"{SVG}text")}
    fills = {
        r.get("fill") for r in root.iter(f"{SVG}rect") if (r.get("fill") or "").startswith("url(")
    }
    assert len(fills) == 2  # a pattern each, not a colour each


def test_nice_ticks_cover_the_range() -> None:
    ticks = charts.nice_ticks(0, 1234)
    assert ticks[0] == 0 and ticks[-1] >= 1234 and len(ticks) <= 8


def test_settings_from_environment(tmp_path: Path) -> None:
    env = {"COBALAMIN_DATABASE_URL": "postgresql+psycopg://db/b12", "COBALAMIN_LAB_ENABLED": "yes",
           "COBALAMIN_DATA_DIR": str(tmp_path)}  # fmt: skip
    settings = Settings.from_env(env, port=9000)
    assert settings.db_url == "postgresql+psycopg://db/b12" and settings.lab_enabled
    assert settings.public_url == "http://localhost:9000" and not settings.https
    assert Settings.from_env(env, db_url="sqlite:///x.db").db_url == "sqlite:///x.db"
    default = Settings.from_env({"COBALAMIN_DATA_DIR": str(tmp_path)})
    assert default.db_url == f"sqlite:///{tmp_path / 'cobalamin.db'}" and default.lab_enabled
    with pytest.raises(InputError, match="COBALAMIN_OPEN_CALCULATORS"):
        Settings.from_env({"COBALAMIN_OPEN_CALCULATORS": "maybe"})
    with pytest.raises(InputError, match="--public-url"):
        Settings(public_url="b12.example.org")


def test_serve_is_a_command() -> None:
    from cobalamin.cli.app import app

    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0 and "--public-url" in result.stdout and "--db" in result.stdout


def test_import_and_one_case_assess_do_not_load_the_web_stack() -> None:
    # (babel is left out: pint imports it whenever it is installed)
    code = (
        "import sys, cobalamin\n"
        "from cobalamin.cli.app import app\n"
        "from typer.testing import CliRunner\n"
        "r = CliRunner().invoke(app, ['assess', 'b12=180pmol/L'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(sorted(m for m in ('fastapi', 'starlette', 'uvicorn', 'jinja2', 'multipart') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
