"""Account lifecycle on a running records app: a disabled user is refused at once (password,
existing session, bearer token, the read-only check of other pages), and a signed-in user
changes their own password on /account/password (CSRF, EN/NL, rate limit, audit)."""

from __future__ import annotations

import datetime as dt
import json
import logging

import httpx
import pytest
from fastapi.testclient import TestClient
from records_helpers import CSRF, PASSWORD, RecordsSite, page_csrf, sign_in
from typer.testing import CliRunner

from cobalamin.cli.app import app as cli
from cobalamin.storage.accounts import add_user, create_web_session
from cobalamin.storage.audit import audit_entries
from cobalamin.storage.models import WebSession
from cobalamin.web.auth import SESSION_COOKIE
from cobalamin.web.ratelimit import MemoryWindow, RateLimits

NEW_PASSWORD = "an entirely new passphrase 7781"


def _change(
    client: TestClient, current: str, new: str, again: str | None = None, lang: str = ""
) -> httpx.Response:
    return client.post(
        "/account/password" + (f"?lang={lang}" if lang else ""),
        data={
            "csrf_token": page_csrf(client, "/account/password"),
            "current_password": current,
            "new_password": new,
            "new_password_again": new if again is None else again,
        },
        follow_redirects=False,
    )


def _audit(site: RecordsSite) -> list[dict[str, object]]:
    with site.context.sessions() as session:
        return audit_entries(session)


def test_a_disabled_user_is_refused_at_once_everywhere(site: RecordsSite, db_url: str) -> None:
    @site.app.get("/lab")
    def lab_page() -> dict[str, str]:  # stands in for the lab page (RequireLogin, read session)
        return {"page": "lab"}

    site.login("clinician")
    bearer = site.headers("clinician")
    assert site.http.get("/patients").status_code == 200
    assert site.http.get("/lab").json() == {"page": "lab"}
    assert site.http.get("/api/v1/patients", headers=bearer).status_code == 200
    assert site.http.get("/lab", headers=bearer).status_code == 200

    result = CliRunner().invoke(cli, ["users", "disable", "clinician", "--db", db_url])
    assert result.exit_code == 0, result.stderr

    # the session this browser holds stops at once, on the pages and the API alike
    answer = site.http.get("/patients", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    assert site.http.get("/lab", follow_redirects=False).status_code == 303
    assert site.http.get("/api/v1/patients").status_code == 401
    # the bearer token is refused, by the API and by the read-only check of other pages
    site.http.cookies.clear()
    assert site.http.get("/api/v1/patients", headers=bearer).status_code == 401
    assert site.http.post("/lab", headers=bearer).status_code == 401
    # and the right password no longer signs in
    refused = sign_in(site.http, "clinician", PASSWORD)
    assert refused.status_code == 401 and "wrong" in refused.text
    clinician = site.user_id("clinician")
    with site.context.sessions() as session:
        assert session.query(WebSession).filter_by(user_id=clinician).count() == 0
    # others are untouched
    assert site.http.get("/api/v1/patients", headers=site.headers("admin")).status_code == 200

    result = CliRunner().invoke(cli, ["users", "enable", "clinician", "--db", db_url])
    assert result.exit_code == 0, result.stderr
    assert site.http.get("/api/v1/patients", headers=bearer).status_code == 200
    assert sign_in(site.http, "clinician", PASSWORD).status_code == 303
    actions = [(e["action"], e["detail"]) for e in _audit(site) if e["via"] == "cli"]
    assert actions == [
        ("user.disable", {"user_id": clinician, "changed": True, "sessions_ended": 1}),
        ("user.enable", {"user_id": clinician, "changed": True, "sessions_ended": 0}),
    ]


def test_changing_the_password_ends_other_sessions_and_the_old_password(
    site: RecordsSite, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    site.login("clinician")
    other = TestClient(site.app)  # the same user in another browser
    assert sign_in(other, "clinician", PASSWORD).status_code == 303
    assert other.get("/patients").status_code == 200
    page = site.http.get("/patients")
    assert 'href="/account/password"' in page.text  # linked from the records area

    before = site.http.cookies.get(SESSION_COOKIE)
    answer = _change(site.http, PASSWORD, NEW_PASSWORD)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/account/password?changed=true"
    done = site.http.get(answer.headers["location"])
    assert "Your password has been changed" in done.text
    # this browser stays signed in with a new session id; the old id and the other browser
    # are signed out
    after = site.http.cookies.get(SESSION_COOKIE)
    assert before and after and after != before
    assert site.http.get("/patients").status_code == 200
    assert other.get("/patients", follow_redirects=False).status_code == 303
    stolen = TestClient(site.app)
    stolen.cookies.set(SESSION_COOKIE, before)
    assert stolen.get("/patients", follow_redirects=False).status_code == 303
    # the old password no longer works, the new one does; the bearer token is not touched
    fresh = TestClient(site.app)
    assert sign_in(fresh, "clinician", PASSWORD).status_code == 401
    assert sign_in(fresh, "clinician", NEW_PASSWORD).status_code == 303
    assert fresh.get("/api/v1/patients", headers=site.headers("clinician")).status_code == 200

    clinician = site.user_id("clinician")
    entries = _audit(site)
    changes = [e for e in entries if e["action"] == "user.password"]
    assert [(e["user"], e["user_id"], e["via"], e["detail"]) for e in changes] == [
        ("clinician", clinician, "session", {"user_id": clinician, "sessions_ended": 1})
    ]
    dumped = json.dumps(entries)
    for secret in (PASSWORD, NEW_PASSWORD, "argon2"):
        assert secret not in dumped
        assert secret not in caplog.text
    assert f"user {clinician} changed their password" in caplog.text


def test_the_page_names_the_field_and_changes_nothing_on_bad_input(site: RecordsSite) -> None:
    site.login("clinician")
    short = _change(site.http, PASSWORD, "too short")
    assert short.status_code == 422
    assert "New password: too short (9 characters); at least 15 characters." in short.text
    differ = _change(site.http, PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x")
    assert differ.status_code == 422
    assert "New password again: differs from the new password." in differ.text
    wrong = _change(site.http, "not my password at all", NEW_PASSWORD)
    assert wrong.status_code == 401
    assert "Current password: this is not your current password." in wrong.text
    # in Dutch
    dutch = site.http.get("/account/password?lang=nl")
    assert "Uw wachtwoord wijzigen" in dutch.text and "Huidig wachtwoord" in dutch.text
    assert 'action="/account/password?lang=nl"' in dutch.text
    wrong_nl = _change(site.http, "not my password at all", NEW_PASSWORD, lang="nl")
    assert "Huidig wachtwoord: dit is niet uw huidige wachtwoord." in wrong_nl.text
    short_nl = _change(site.http, PASSWORD, "kort", lang="nl")
    assert "Nieuw wachtwoord: te kort (4 tekens); minstens 15 tekens." in short_nl.text
    done_nl = _change(site.http, PASSWORD, NEW_PASSWORD, lang="nl")
    assert done_nl.headers["location"] == "/account/password?changed=true&lang=nl"
    assert "Uw wachtwoord is gewijzigd" in site.http.get(done_nl.headers["location"]).text
    assert sign_in(TestClient(site.app), "clinician", NEW_PASSWORD).status_code == 303


def test_the_form_needs_a_session_and_its_csrf_token(site: RecordsSite) -> None:
    answer = site.http.get("/account/password", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/account/password"
    bearer = site.headers("clinician")
    assert site.http.get("/account/password", headers=bearer).status_code == 403
    form = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    form["new_password_again"] = NEW_PASSWORD
    assert site.http.post("/account/password", data=form, headers=bearer).status_code == 403
    site.login("clinician")
    for token in (None, "wrong"):
        data = form if token is None else {**form, "csrf_token": token}
        assert site.http.post("/account/password", data=data).status_code == 403
    assert sign_in(TestClient(site.app), "clinician", PASSWORD).status_code == 303  # unchanged


def test_a_wrong_current_password_counts_as_a_failedsign_in(site: RecordsSite) -> None:
    site.app.state.rate_limits = RateLimits(MemoryWindow(3, 60.0), MemoryWindow(30, 60.0))
    site.login("clinician")  # a successful sign-in does not count
    for _ in range(3):
        assert _change(site.http, "guess " * 4, NEW_PASSWORD).status_code == 401
    refused = _change(site.http, PASSWORD, NEW_PASSWORD)  # even the right one now waits
    assert refused.status_code == 429 and "failed sign-in attempts" in refused.text
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    # the same count as the login form's: no one signs in from this address for a while
    assert sign_in(TestClient(site.app), "admin", PASSWORD).status_code == 429
    clinician = site.user_id("clinician")
    failed = [e for e in _audit(site) if e["action"] == "user.password.failed"]
    assert [(e["user_id"], e["detail"]) for e in failed] == [
        (clinician, {"user_id": clinician})
    ] * 3
    site.app.state.rate_limits = None
    assert sign_in(TestClient(site.app), "clinician", PASSWORD).status_code == 303  # unchanged


def test_every_role_has_the_page_and_a_sign_on_account_is_told_why_not(
    site: RecordsSite,
) -> None:
    site.login("lab")
    page = site.http.get("/account/password")
    assert page.status_code == 200 and 'name="current_password"' in page.text
    assert 'href="/patients"' not in page.text  # a lab user has no records pages to link to
    assert _change(site.http, PASSWORD, NEW_PASSWORD).status_code == 303
    with site.context.sessions() as session:
        user = add_user(session, "sso-doc", "clinician", None)
        cookie, _ = create_web_session(session, user, dt.timedelta(hours=1))
        session.commit()
    client = TestClient(site.app)
    client.cookies.set(SESSION_COOKIE, cookie)
    notice = client.get("/account/password")
    assert notice.status_code == 200 and "you sign in with the hospital account" in notice.text
    assert 'name="current_password"' not in notice.text
    csrf = CSRF.search(notice.text)
    assert csrf is not None
    form = {"csrf_token": csrf.group(1), "current_password": "", "new_password": NEW_PASSWORD}
    refused = client.post("/account/password", data={**form, "new_password_again": NEW_PASSWORD})
    assert refused.status_code == 422 and "hospital account" in refused.text
    assert sign_in(TestClient(site.app), "sso-doc", NEW_PASSWORD).status_code == 401
