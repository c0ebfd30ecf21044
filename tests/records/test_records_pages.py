"""The records pages: login, sessions and cookies, CSRF on every form, the patient's page with
its chart and response check, search by POST, and who is due this week."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient
from records_helpers import PASSWORD, RecordsSite, make_site

FORM = re.compile(r'<form[^>]*method="post"[^>]*action="([^"]+)"[^>]*>(.*?)</form>', re.S)


def test_pages_and_the_lab_page_need_a_signed_in_user(site: RecordsSite) -> None:
    @site.app.get("/lab")
    def lab_page() -> dict[str, str]:  # stands in for the web app's lab upload page
        return {"page": "lab"}

    for path in ("/patients", "/patients/new", "/due", "/lab", "/patients/" + "0" * 32):
        answer = site.http.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == f"/login?next={path}"
    assert site.http.post("/lab", follow_redirects=False).status_code == 401
    assert site.http.get("/lab", headers=site.headers("lab")).json() == {"page": "lab"}
    site.login("lab")
    assert site.http.get("/lab").json() == {"page": "lab"}
    assert site.http.get("/patients", follow_redirects=False).status_code == 403


def test_login_sets_a_safe_session_cookie(site: RecordsSite) -> None:
    page = site.http.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    wrong = site.http.post(
        "/login",
        data={"username": "clinician", "password": "nope" * 5, "csrf_token": token.group(1)},
    )
    assert wrong.status_code == 401 and "wrong" in wrong.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', wrong.text)  # a fresh form
    assert token is not None
    forged = site.http.post(
        "/login", data={"username": "clinician", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert forged.status_code == 403
    good = site.http.post(
        "/login",
        follow_redirects=False,
        data={
            "username": "clinician",
            "password": PASSWORD,
            "csrf_token": token.group(1),
            "next": "//evil.example/",
        },
    )
    assert good.status_code == 303 and good.headers["location"] == "/patients"
    cookie = next(
        h for h in good.headers.get_list("set-cookie") if h.startswith("cobalamin_session=")
    )
    flags = cookie.lower()
    assert "httponly" in flags and "samesite=lax" in flags and "secure" not in flags


def test_the_session_cookie_is_secure_behind_https(db_url: str) -> None:
    made = make_site(db_url, public_url="https://records.hospital.example")
    try:
        with TestClient(made.app, base_url="https://testserver") as client:
            made.client = client
            page = client.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token is not None
            good = client.post(
                "/login",
                follow_redirects=False,
                data={"username": "admin", "password": PASSWORD, "csrf_token": token.group(1)},
            )
            cookie = next(
                h for h in good.headers.get_list("set-cookie") if h.startswith("cobalamin_session=")
            )
            assert "secure" in cookie.lower()
    finally:
        made.context.engine.dispose()


def _forms(html: str) -> list[tuple[str, str]]:
    return [(action.split("?")[0], body) for action, body in FORM.findall(html)]


def test_every_form_that_changes_data_needs_the_csrf_token(site: RecordsSite) -> None:
    patient_id = site.patient()
    csrf = site.login()
    seen: set[str] = set()
    pages = ("/patients", "/patients/new", f"/patients/{patient_id}", "/due", "/account/password")
    for page in pages:
        html = site.http.get(page).text
        for action, body in _forms(html):
            assert f'name="csrf_token" value="{csrf}"' in body, (page, action)
            seen.add(action)
    assert seen == {
        "/logout",
        "/patients/search",
        "/patients/new",
        f"/patients/{patient_id}/results",
        f"/patients/{patient_id}/plans",
        f"/patients/{patient_id}/doses",
        "/account/password",
    }
    for action in sorted(seen):
        for token in (None, "wrong"):
            data = {} if token is None else {"csrf_token": token}
            answer = site.http.post(action, data=data, follow_redirects=False)
            assert answer.status_code == 403, (action, token)
    # Through the API a session must send the token as a header; a bearer token needs none.
    body = {"identifier": "MRN-2", "birth_date": "1990-01-01"}
    assert site.http.post("/api/v1/patients", json=body).status_code == 403
    answer = site.http.post("/api/v1/patients", json=body, headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 201
    assert site.http.get("/api/v1/patients").status_code == 200


def test_a_patient_from_form_to_timeline_chart_and_response_check(site: RecordsSite) -> None:
    csrf = site.login()
    today = dt.date.today()
    made = site.http.post(
        "/patients/new",
        follow_redirects=False,
        data={
            "csrf_token": csrf,
            "identifier": "MRN-PAGE-7",
            "name": "Page Person",
            "birth_date": "1961-07-04",
            "sex": "male",
            "pack": "nhg-anemie",
        },
    )
    assert made.status_code == 303
    location = made.headers["location"]
    assert re.fullmatch(r"/patients/[0-9a-f]{32}", location)
    start = today - dt.timedelta(days=40)
    steps = [
        (
            "results",
            {
                "sample_date": (start - dt.timedelta(days=2)).isoformat(),
                "b12": "95",
                "b12_unit": "pmol/L",
                "hb": "100",
                "hb_unit": "g/L",
                "mma": "0.9",
                "mma_unit": "umol/L",
            },
        ),
        ("plans", {"regimen": "nhg-im-hydroxo", "start": start.isoformat()}),
        (
            "doses",
            {
                "date": start.isoformat(),
                "dose_ug": "1000",
                "route": "im",
                "form": "hydroxocobalamin",
            },
        ),
        (
            "results",
            {
                "sample_date": (start + dt.timedelta(days=29)).isoformat(),
                "hb": "116",
                "hb_unit": "g/L",
                "mma": "0.3",
                "mma_unit": "umol/L",
            },
        ),
    ]
    for kind, data in steps:
        answer = site.http.post(
            f"{location}/{kind}", data={"csrf_token": csrf, **data}, follow_redirects=False
        )
        assert answer.status_code == 303, (kind, answer.text[:500])
    page = site.http.get(location).text
    assert "MRN-PAGE-7" in page and "Page Person" in page
    svg = re.search(r"<svg.*?</svg>", page, re.S)
    assert svg is not None
    chart = svg.group(0)
    for label in (">B12<", ">holoTC<", ">MMA<", ">Hb<"):
        assert label in chart
    assert ">Hcy<" not in chart  # drawn only when measured
    assert chart.count('stroke-dasharray="4 3"') == 1  # the one dose given
    assert "#" not in re.sub(r"#(000|fff|666|444|bbb)\b", "", chart)  # black, white and greys
    assert 'data-status="met"' in page  # Hb 100 -> 116 g/L after 4 weeks: +16%
    assert "+16%" in page and "Kompas" in page
    kinds = re.findall(r'<tr data-kind="([a-z_]+)">', page)
    assert kinds[:4] == ["result", "assessment", "plan", "dose"]
    assert "followup_due" in kinds or "dose_due" in kinds
    bad = site.http.post(
        f"{location}/doses",
        data={
            "csrf_token": csrf,
            "date": "x",
            "dose_ug": "1000",
            "route": "im",
            "form": "hydroxocobalamin",
        },
    )
    assert bad.status_code == 422 and "date" in bad.text
    nl = site.http.get(location + "?lang=nl").text
    assert "Tijdlijn" in nl and "Reactie op de behandeling" in nl


def test_search_is_a_post_and_due_lists_this_weeks_injections(site: RecordsSite) -> None:
    monday = dt.date.today() - dt.timedelta(days=dt.date.today().weekday())
    patient_id = site.patient(identifier="MRN-DUE-3")
    headers = site.headers()
    start = monday - dt.timedelta(days=14)
    plan = site.http.post(
        f"/api/v1/patients/{patient_id}/plans",
        headers=headers,
        json={"regimen": "nice-im", "start": start.isoformat()},
    ).json()
    planned = [d["date"] for d in plan["plan"]["doses"]]
    for day in planned[:3]:
        site.http.post(
            f"/api/v1/patients/{patient_id}/doses",
            headers=headers,
            json={"date": day, "dose_ug": 1000, "route": "im", "form": "hydroxocobalamin"},
        )
    due = site.http.get("/api/v1/due", headers=headers).json()
    assert due["from"] == monday.isoformat()
    items = [i for i in due["items"] if i["patient"] == patient_id]
    assert [(i["kind"], i["date"], i["number"], i["overdue"]) for i in items] == [
        ("injection", planned[3], 4, dt.date.fromisoformat(planned[3]) < dt.date.today())
    ]
    csrf = site.login()
    page = site.http.get("/due").text
    assert "MRN-DUE-3" in page and f"/patients/{patient_id}" in page
    found = site.http.post("/patients/search", data={"csrf_token": csrf, "identifier": "MRN-DUE-3"})
    assert found.status_code == 200 and f"/patients/{patient_id}" in found.text
    assert "MRN-DUE-3" not in str(found.url)
    for day in planned[3:6]:  # the loading course complete: nothing due this week
        site.http.post(
            f"/api/v1/patients/{patient_id}/doses",
            headers=headers,
            json={"date": day, "dose_ug": 1000, "route": "im", "form": "hydroxocobalamin"},
        )
    due = site.http.get("/api/v1/due", headers=headers).json()
    assert [i for i in due["items"] if i["patient"] == patient_id] == []


def test_the_language_switch_keeps_the_pages_other_parameters(site: RecordsSite) -> None:
    # switching to Dutch on the sign-in page of a fresh sign-in keeps where to go afterwards
    page = site.http.get("/login?next=/admin/users&fresh=1")
    link = re.search(r'<a href="([^"]*)">Nederlands</a>', page.text)
    assert link is not None
    target = link.group(1).replace("&amp;", "&")
    assert target == "/login?next=%2Fadmin%2Fusers&fresh=1&lang=nl"
    dutch = site.http.get(target)
    assert 'lang="nl"' in dutch.text
    assert 'name="next" value="/admin/users"' in dutch.text
    back = re.search(r'<a href="([^"]*)">English</a>', dutch.text)
    assert back is not None and back.group(1).replace("&amp;", "&").endswith("lang=en")
