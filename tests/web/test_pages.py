"""The pages as a browser without JavaScript sees them: forms posted, language, headers."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient

HTML = {"accept": "text/html"}
PAGES = ["/", "/self-check", "/self-check/diary", "/assess", "/compare", "/plan", "/packs",
         "/packs/gelderse-vallei", "/model", "/lab"]  # fmt: skip


class _Assets(HTMLParser):
    """Every address a page loads by itself (scripts, styles, images, frames, forms)."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.inline_scripts = 0
        self.html_lang: str | None = None
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.html_lang = values.get("lang")
        if tag == "script":
            if values.get("src"):
                self.loads.append(str(values["src"]))
            else:
                self._in_script = True
        if tag in ("img", "iframe", "audio", "video", "source") and values.get("src"):
            self.loads.append(str(values["src"]))
        if tag == "link" and values.get("href"):
            self.loads.append(str(values["href"]))
        if tag == "form" and values.get("action"):
            self.loads.append(str(values["action"]))
        for name, value in attrs:
            if name.startswith("on"):
                self.inline_scripts += 1
            if name == "style" and value:
                self.inline_scripts += 1

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("lang", ["en", "nl"])
def test_every_page_is_in_its_language_and_loads_only_from_this_server(
    client: TestClient, path: str, lang: str
) -> None:
    response = client.get(f"{path}?lang={lang}", headers=HTML)
    assert response.status_code == 200
    parser = _Assets()
    parser.feed(response.text)
    assert parser.html_lang == lang
    assert all(load.startswith("/") and not load.startswith("//") for load in parser.loads)
    assert parser.inline_scripts == 0
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in response.headers


def test_dutch_pages_carry_no_english_interface_words(client: TestClient) -> None:
    english = ["Skip to content", "Should I have my B12 tested?", "Show my answer", "About you",
               "When to see a doctor", "Complaints you have"]  # fmt: skip
    page = client.get("/self-check?lang=nl", headers=HTML).text
    assert "Moet ik mijn B12 laten testen?" in page
    assert not [word for word in english if word in page]
    assert "vermoeidheid" in page  # vocabulary labels in Dutch


def test_language_by_query_then_cookie_then_accept_language(client: TestClient) -> None:
    assert (
        'lang="nl"' in client.get("/", headers={**HTML, "accept-language": "nl-NL,nl;q=0.9"}).text
    )
    assert 'lang="en"' in client.get("/", headers={**HTML, "accept-language": "de, en;q=0.5"}).text
    chosen = client.get("/?lang=nl", headers=HTML)
    assert chosen.cookies.get("lang") == "nl"
    assert 'lang="nl"' in client.get("/", headers={**HTML, "accept-language": "en"}).text
    assert 'lang="en"' in client.get("/?lang=en", headers=HTML).text


def test_hsts_only_behind_https(tmp_path: Path) -> None:
    from cobalamin.web.app import create_app
    from cobalamin.web.settings import Settings

    app = create_app(Settings(data_dir=tmp_path, public_url="https://b12.example.org"))
    with TestClient(app) as client:
        assert "max-age" in client.get("/health").headers["strict-transport-security"]


def test_self_check_answers_in_plain_dutch_without_javascript(client: TestClient) -> None:
    form = {"age": "31", "sex": "female", "pregnant": "true", "diet": "vegan",
            "medications": ["folic_acid"], "symptoms": ["fatigue", "paraesthesia"]}  # fmt: skip
    page = client.post("/self-check?lang=nl", data=form, headers=HTML)
    assert page.status_code == 200
    text = page.text
    assert "Ja: vraag uw huisarts om een B12-test." in text
    answer = text.split('id="answer"')[1].split("</section>")[0]
    assert "Wat u ons vertelde:" in answer  # why: their own answers, in their words
    assert "veganist" in answer and "tintelingen in de vingers" in answer and "foliumzuur" in answer
    assert "stop niet met uw foliumzuur" in text  # never advise stopping folic acid in pregnancy
    assert "Wanneer naar de dokter" in text and "Wat u niet zelf moet doen" in text
    for jargon in ("onbeslist", "indeterminate", "µmol/L", "pmol/L"):
        assert jargon not in text.split('<details class="for-gp">')[0]
    assert 'value="folic_acid" checked' in text  # the form keeps the answers


def test_self_check_without_risk_says_no_test_but_when_to_see_a_doctor(client: TestClient) -> None:
    text = client.post("/self-check", data={"age": "30"}, headers=HTML).text
    assert "A B12 test is probably not needed now." in text
    assert "When to see a doctor" in text


def test_self_check_bad_age_names_the_field(client: TestClient) -> None:
    page = client.post("/self-check", data={"age": "abc"}, headers=HTML)
    assert page.status_code == 422
    assert 'id="error-age"' in page.text and 'aria-invalid="true"' in page.text


def test_diary_shows_absorbed_against_the_reference_with_charts(client: TestClient) -> None:
    form = {"food_0": "semi-skimmed milk", "amount_0": "300", "time_0": "08:00",
            "food_1": "egg", "time_1": "12:30", "age": "40"}  # fmt: skip
    page = client.post("/self-check/diary?lang=en", data=form, headers=HTML)
    assert page.status_code == 200, page.text
    assert page.text.count("<svg") == 2
    assert "Recommended intake" in page.text and "Absorbed by your body" in page.text
    unknown = client.post("/self-check/diary", data={"food_0": "unicorn steak"}, headers=HTML)
    assert unknown.status_code == 422 and 'id="error-food_0"' in unknown.text
    found = client.get("/self-check/diary?q=kaas&lang=nl", headers=HTML).text
    assert "Gevonden voedingsmiddelen" in found


def test_assess_form_gives_the_cli_verdict_with_sources(client: TestClient) -> None:
    form = {"pack": "gelderse-vallei", "b12": "180", "b12_unit": "pmol/L", "age": "34",
            "sex": "female", "pregnant": "true", "medications": ["folic_acid"]}  # fmt: skip
    page = client.post("/assess?lang=en", data=form, headers=HTML)
    assert page.status_code == 200
    text = page.text
    assert "indeterminate" in text
    assert "reflex: the laboratory adds it to the same sample" in text
    assert 'href="/packs/gelderse-vallei#source-gelderse-vallei-leaflet"' in text
    assert "folic_acid_pregnancy_check_b12" in text  # pregnant: keep folic acid, measure B12
    assert text.index("folic_acid_pregnancy_check_b12") < text.index("Findings")  # alerts first
    from cobalamin import load_pack

    assert load_pack("gelderse-vallei").sha256 in text


def test_assess_form_accepts_a_decimal_comma_and_other_units(client: TestClient) -> None:
    form = {"pack": "gelderse-vallei", "b12": "298", "b12_unit": "pg/mL", "mma": "0,45",
            "mma_unit": "umol/L"}  # fmt: skip
    page = client.post("/assess?lang=nl", data=form, headers=HTML)
    assert page.status_code == 200
    assert "waarschijnlijk" in page.text


def test_assess_form_error_lands_on_the_unit_field(client: TestClient) -> None:
    form = {"pack": "nice-ng239", "b12": "180", "b12_unit": "furlongs"}
    page = client.post("/assess", data=form, headers=HTML)
    assert page.status_code == 422
    assert 'id="error-b12_unit"' in page.text


def test_print_view(client: TestClient) -> None:
    form = {"pack": "nice-ng239", "b12": "150", "b12_unit": "ng/L", "view": "print"}
    page = client.post("/assess", data=form, headers=HTML)
    assert 'class="print-view"' in page.text and "150 ng/L" in page.text


def test_compare_marks_where_packs_differ(client: TestClient) -> None:
    page = client.post("/compare", data={"b12": "180", "b12_unit": "pmol/L"}, headers=HTML)
    assert page.status_code == 200
    assert 'class="differs"' in page.text and "the packs differ" in page.text
    from cobalamin import pack_ids

    assert all(f'href="/packs/{p}"' in page.text for p in pack_ids())


def test_plan_page_and_calendar(client: TestClient) -> None:
    form = {"regimen": "nhg-im-hydroxo", "start": "2026-01-05", "skip_weekends": "true"}
    page = client.post("/plan", data=form, headers=HTML)
    assert page.status_code == 200
    href = re.search(r'href="(/plan\.ics\?[^"]+)"', page.text)
    assert href is not None
    ics = client.get(href.group(1).replace("&amp;", "&"))
    assert ics.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VCALENDAR" in ics.text
    assert "Follow-up dates" in page.text
    bad = client.post(
        "/plan", data={"regimen": "nhg-im-hydroxo", "start": "05-01-2026"}, headers=HTML
    )
    assert bad.status_code == 422 and 'id="error-start"' in bad.text


def test_pack_page_lists_cutoffs_statements_and_sources(client: TestClient) -> None:
    text = client.get("/packs/gelderse-vallei", headers=HTML).text
    assert 'id="source-gelderse-vallei-leaflet"' in text and 'id="rule-gv_b12_grey"' in text
    assert "150.0 pmol/L" in text and "Aanvullend onderzoek nodig" in text
    assert client.get("/packs/nope", headers=HTML).status_code == 404


def test_model_page_draws_four_charts_with_homocysteine_on_its_own(client: TestClient) -> None:
    form = {"diet": "vegan", "food_ug_per_day": "0.5", "usual_food_ug_per_day": "4", "days": "400"}
    page = client.post("/model?lang=en", data=form, headers=HTML)
    assert page.status_code == 200
    charts = re.findall(r"<svg.*?</svg>", page.text, re.S)
    assert len(charts) == 4
    hcy = [c for c in charts if "Homocysteine" in c]
    assert len(hcy) == 1 and "MMA" not in hcy[0] and "holoTC" not in hcy[0]


def test_lab_is_off_unless_the_setting_is_on(tmp_path: Path) -> None:
    from cobalamin.web.app import create_app
    from cobalamin.web.settings import Settings

    with TestClient(create_app(Settings(data_dir=tmp_path, lab_enabled=False))) as client:
        assert client.get("/lab", headers=HTML).status_code == 404
        assert "/lab" not in client.get("/", headers=HTML).text.split("<main")[0]


def _wait(client: TestClient, job: str) -> dict[str, object]:
    for _ in range(600):
        status: dict[str, object] = client.get(f"/api/v1/jobs/{job}").json()
        if status["state"] in ("done", "failed"):
            return status
        time.sleep(0.1)
    raise AssertionError("job did not finish")


def test_lab_upload_runs_as_a_job_and_the_results_download(
    client: TestClient, tmp_path: Path
) -> None:
    source = tmp_path / "day.csv"
    pl.DataFrame({
        "sample_id": ["A", "A", "B", None],
        "test": ["b12", "mma", "b12", "b12"],
        "value": ["180", "0.5", "zz", "200"],
        "unit": ["pmol/L", "umol/L", "pmol/L", "pmol/L"],
    }).write_csv(source)  # fmt: skip
    with source.open("rb") as handle:
        posted = client.post(
            "/lab", data={"pack": "gelderse-vallei"}, files={"file": ("day.csv", handle, "text/csv")},
            headers=HTML, follow_redirects=False,
        )  # fmt: skip
    assert posted.status_code == 303
    job = posted.headers["location"].rsplit("/", 1)[1]
    status = _wait(client, job)
    assert status["state"] == "done", status
    assert status["result"]["rows_in"] == 4 and status["result"]["rows_error"] == 2  # type: ignore[index]
    page = client.get(f"/lab/jobs/{job}", headers=HTML).text
    assert "Download the output" in page
    output = client.get(f"/lab/jobs/{job}/output")
    assert "deficiency" in output.text and "likely" in output.text
    errors = client.get(f"/lab/jobs/{job}/errors")
    assert errors.status_code == 200 and errors.text.count("\n") == 3
    assert client.get(f"/api/v1/jobs/{job}").status_code == 404  # removed after both downloads


def test_lab_rejects_other_files_and_hl7_runs(client: TestClient) -> None:
    bad = client.post("/lab", files={"file": ("notes.docx", b"x")}, headers=HTML)
    assert bad.status_code == 422 and 'id="error-file"' in bad.text
    hl7 = (Path(__file__).parents[1] / "data" / "oru_r01.hl7").read_bytes()
    posted = client.post("/lab", data={"pack": "gelderse-vallei"}, files={"file": ("x.hl7", hl7)},
                         follow_redirects=False)  # fmt: skip
    status = _wait(client, posted.headers["location"].rsplit("/", 1)[1])
    assert status["result"] == {**status["result"], "messages_read": 3, "messages_ok": 2}  # type: ignore[dict-item]
