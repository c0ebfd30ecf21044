"""End-to-end in a real browser: Playwright drives Debian's Chromium (/usr/bin/chromium; no
browser is downloaded). The patient flow in Dutch and the clinician flow in English by keyboard
alone, the laboratory upload, axe-core on every page in both languages, and (with
COBALAMIN_SCREENSHOTS=1) the screenshots in docs/screenshots/."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("COBALAMIN_CHROMIUM", "/usr/bin/chromium"))
if not CHROMIUM.exists():
    pytest.skip(
        f"browser tests need Debian's chromium at {CHROMIUM} (bash scripts/setup.sh installs it)",
        allow_module_level=True,
    )

import polars as pl  # noqa: E402
import uvicorn  # noqa: E402
from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import Browser, Page, Route, sync_playwright  # noqa: E402

from cobalamin.defaults import default_knowledge  # noqa: E402
from cobalamin.web.app import create_app  # noqa: E402
from cobalamin.web.settings import Settings  # noqa: E402

pytestmark = pytest.mark.slow

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    settings = Settings(port=port, data_dir=tmp_path_factory.mktemp("web"), lab_enabled=True)
    config = uvicorn.Config(
        create_app(settings, default_knowledge()), host="127.0.0.1", port=port,
        log_level="warning", access_log=False,
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def outside() -> list[str]:
    """Requests that tried to leave the server (each is aborted)."""
    return []


def _page(browser: Browser, base_url: str, outside: list[str], **options: Any) -> Page:
    context = browser.new_context(viewport={"width": 1000, "height": 760}, **options)

    def guard(route: Route) -> None:
        if route.request.url.startswith(base_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    return context.new_page()


@pytest.fixture
def page(browser: Browser, base_url: str, outside: list[str]) -> Iterator[Page]:
    opened = _page(browser, base_url, outside)
    yield opened
    opened.context.close()
    assert outside == []


def _tab_to(page: Page, selector: str, limit: int = 150) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    target = page.locator(selector).first
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def _shot(page: Page, name: str) -> None:
    if os.environ.get("COBALAMIN_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_patient_completes_the_self_check_in_dutch_by_keyboard(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/?lang=nl")
    assert page.locator("html").get_attribute("lang") == "nl"
    _shot(page, "home-nl")
    _tab_to(page, "main a[href='/self-check']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/self-check")
    _tab_to(page, "#field-age")
    page.keyboard.type("31")
    _tab_to(page, "#field-diet")
    page.keyboard.type("veganist")
    _tab_to(page, "input[name=pregnant]")
    page.keyboard.press("Space")
    _tab_to(page, "input[name=symptoms][value=paraesthesia]")
    page.keyboard.press("Space")
    _tab_to(page, "input[name=medications][value=folic_acid]")
    page.keyboard.press("Space")
    _tab_to(page, "form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#answer")
    answer = page.locator("#answer").inner_text()
    assert "Ja: vraag uw huisarts om een B12-test." in answer
    assert "Wanneer naar de dokter" in page.content()
    assert "stop niet met uw foliumzuur" in page.locator(".alerts").inner_text()
    _shot(page, "self-check-nl")


def test_patient_diary_with_food_search_in_dutch(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/self-check/diary?lang=nl")
    page.fill("#food-search", "kaas")
    page.wait_for_selector("#food-hits li")
    assert "kaas" in page.locator("#food-hits").inner_text().lower()
    page.fill("#field-food_0", "halfvolle melk")
    page.fill("#field-amount_0", "300")
    page.fill("#field-food_1", "ei")
    page.click("text=Reken mijn B12 uit")
    page.wait_for_selector("#answer svg")
    assert page.locator("#answer svg").count() == 2
    _shot(page, "diary-nl")


def test_clinician_completes_an_assessment_in_english_by_keyboard(
    page: Page, base_url: str
) -> None:
    page.goto(f"{base_url}/?lang=en")
    _tab_to(page, "main a[href='/assess']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/assess")
    _tab_to(page, "#field-pack")
    page.keyboard.type("Ziekenhuis")
    _tab_to(page, "#field-b12")
    page.keyboard.type("180")
    _tab_to(page, "#field-age")
    page.keyboard.type("34")
    _tab_to(page, "input[name=pregnant]")
    page.keyboard.press("Space")
    _tab_to(page, "form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#answer")
    result = page.locator("#answer").inner_text()
    assert "indeterminate" in result
    assert "reflex: the laboratory adds it to the same sample" in result
    assert "pregnancy_total_b12_falls" in result
    _shot(page, "assess-en")
    _tab_to(page, "#answer .findings a")
    page.keyboard.press("Enter")
    page.wait_for_url("**/packs/gelderse-vallei#source-gelderse-vallei-leaflet")
    assert page.locator("#source-gelderse-vallei-leaflet").is_visible()


def test_compare_and_plan_pages(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/compare?lang=en")
    page.fill("#field-b12", "180")
    page.click("form button[type=submit]")
    page.wait_for_selector("table.compare")
    assert page.locator("tr.differs").count() >= 1
    _shot(page, "compare-en")
    page.goto(f"{base_url}/plan?lang=en")
    page.select_option("#field-regimen", "nhg-im-hydroxo")
    page.fill("#field-start", "2026-01-05")
    page.click("form button[type=submit]")
    page.wait_for_selector("#answer table")
    with page.expect_download() as download:
        page.click("text=Download as calendar (.ics)")
    assert "BEGIN:VCALENDAR" in Path(download.value.path()).read_text(encoding="utf-8")
    _shot(page, "plan-en")


def test_lab_upload_shows_progress_and_downloads(page: Page, base_url: str, tmp_path: Path) -> None:
    source = tmp_path / "day.csv"
    pl.DataFrame({
        "sample_id": [f"S{i // 2}" for i in range(4000)],
        "test": ["b12", "mma"] * 2000,
        "value": ["180", "0.5"] * 2000,
        "unit": ["pmol/L", "umol/L"] * 2000,
    }).write_csv(source)  # fmt: skip
    page.goto(f"{base_url}/lab?lang=en")
    page.set_input_files("#field-file", str(source))
    page.click("form button[type=submit]")
    page.wait_for_url("**/lab/jobs/*")
    page.wait_for_selector("text=Download the output", timeout=120_000)
    _shot(page, "lab-en")
    with page.expect_download() as download:
        page.click("text=Download the output")
    frame = pl.read_csv(download.value.path())
    assert frame.height == 2000 and set(frame["deficiency"]) == {"likely"}


PAGES = ["/", "/self-check", "/self-check/diary", "/assess", "/compare", "/plan", "/packs",
         "/packs/nice-ng239", "/model", "/lab"]  # fmt: skip


def _serious(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_no_serious_accessibility_violation_on_any_page(
    browser: Browser, base_url: str, outside: list[str], lang: str
) -> None:
    page = _page(browser, base_url, outside, bypass_csp=True)  # axe is injected as a script
    found: dict[str, list[str]] = {}
    for path in PAGES:
        page.goto(f"{base_url}{path}?lang={lang}")
        found[path] = _serious(page)
    page.goto(f"{base_url}/self-check?lang={lang}")
    page.check("input[name=symptoms][value=fatigue]")
    page.click("form button[type=submit]")
    found["self-check result"] = _serious(page)
    page.goto(f"{base_url}/self-check?lang={lang}")
    page.fill("#field-age", "abc")
    page.click("form button[type=submit]")
    found["self-check error"] = _serious(page)
    page.goto(f"{base_url}/assess?lang={lang}")
    page.fill("#field-b12", "120")
    page.fill("#field-mma", "0.6")
    page.click("form button[type=submit]")
    found["assess result"] = _serious(page)
    page.goto(f"{base_url}/model?lang={lang}")
    page.fill("#field-food_ug_per_day", "0.5")
    page.click("form button[type=submit]")
    page.wait_for_selector("#answer svg")
    if lang == "en":
        _shot(page, "model-en")
    found["model result"] = _serious(page)
    page.context.close()
    assert {path: v for path, v in found.items() if v} == {}
    assert outside == []
