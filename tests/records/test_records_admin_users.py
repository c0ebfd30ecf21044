"""The admin's accounts page, /admin/users, on a running records app (SQLite and PostgreSQL):
admins only (with a session), every account listed, adding, setting a password, disabling and
enabling take effect at once, an admin cannot disable their own account, CSRF, bad input named
by field in English and Dutch with nothing changed, the audit, and no password in any log.
Changes need a recent sign-in: an older session is sent to sign in again and changes nothing
(the sign-in is moved into the past in the database, not waited for)."""

from __future__ import annotations

import html
import json
import logging
import re
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from records_helpers import CSRF, PASSWORD, RecordsSite, make_site, page_csrf, sign_in, sign_in_ago

from cobalamin.errors import InputError
from cobalamin.storage.accounts import add_user, find_user, list_users
from cobalamin.storage.audit import audit_entries
from cobalamin.storage.models import WebSession
from cobalamin.web.records_context import RecordsSettings
from cobalamin.web.settings import Settings

NEW_PASSWORD = "a brand new passphrase for the ward 4471"
NURSE_PASSWORD = "the nurse's first passphrase 9902"
ROUTES = (
    "/admin/users/add",
    "/admin/users/password",
    "/admin/users/disable",
    "/admin/users/enable",
)


def _signed_in(site: RecordsSite, name: str, password: str = PASSWORD) -> TestClient:
    client = TestClient(site.app)
    assert sign_in(client, name, password).status_code == 303
    return client


def _post(client: TestClient, route: str, lang: str = "", **form: str) -> httpx.Response:
    data = {"csrf_token": page_csrf(client, "/admin/users"), **form}
    suffix = f"?lang={lang}" if lang else ""
    return client.post(f"/admin/users/{route}{suffix}", data=data, follow_redirects=False)


def _text(answer: httpx.Response) -> str:
    return html.unescape(answer.text)


def _accounts(site: RecordsSite) -> list[tuple[str, str, bool, str | None]]:
    """Every account as stored (hash included): what "nothing changed" compares."""
    with site.context.sessions() as session:
        return [(u.name, u.role, u.disabled, u.password_hash) for u in list_users(session)]


def _audit(site: RecordsSite, prefix: str = "user.") -> list[dict[str, Any]]:
    with site.context.sessions() as session:
        return [e for e in audit_entries(session) if str(e["action"]).startswith(prefix)]


def _changes(site: RecordsSite) -> list[tuple[Any, ...]]:
    """The audited account changes: (action, actor, via, detail), listing left out."""
    return [
        (e["action"], e["user"], e["via"], e["detail"])
        for e in _audit(site)
        if e["action"] != "user.list"
    ]


def test_anonymous_visitors_and_other_roles_are_refused(site: RecordsSite) -> None:
    before = _accounts(site)
    answer = site.http.get("/admin/users", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/admin/users"
    for route in ROUTES:
        form = {"name": "clinician", "role": "admin", "password": NEW_PASSWORD}
        refused = site.http.post(route, data=form, follow_redirects=False)
        assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
    for role in ("clinician", "lab"):
        client = _signed_in(site, role)
        assert client.get("/admin/users").status_code == 403
        token = CSRF.search(client.get("/account/password").text)
        assert token is not None  # their own valid CSRF token does not make them an admin
        for route in ROUTES:
            form = {"csrf_token": token.group(1), "name": "admin", "role": "admin"}
            form |= {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
            assert client.post(route, data=form).status_code == 403
    # an admin's bearer token is not a person at a browser
    bearer = site.headers("admin")
    assert site.http.get("/admin/users", headers=bearer).status_code == 403
    form = {"name": "clinician"}
    assert site.http.post(ROUTES[2], data=form, headers=bearer).status_code == 403
    assert _accounts(site) == before
    assert _changes(site) == []
    # the navigation links the page for admins only
    assert 'href="/admin/users"' not in _signed_in(site, "clinician").get("/patients").text
    site.login("admin")
    assert 'href="/admin/users"' in site.http.get("/patients").text


def test_the_admin_sees_every_account_and_never_a_hash(site: RecordsSite) -> None:
    with site.context.sessions() as session:
        add_user(session, "sso-doc", "clinician", None)
        session.commit()
    site.login("admin")
    page = site.http.get("/admin/users")
    assert page.status_code == 200
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>",
                      page.text, re.S)  # fmt: skip
    assert rows == [
        ("admin (you)", "admin", "active", "password"),
        ("clinician", "clinician", "active", "password"),
        ("lab", "lab", "active", "password"),
        ("sso-doc", "clinician", "active", "single sign-on only"),
    ]
    assert "argon2" not in page.text
    for _name, _role, _disabled, stored in _accounts(site):
        assert stored is None or stored not in page.text
    # in Dutch, with the forms posting back in Dutch
    dutch = site.http.get("/admin/users?lang=nl")
    assert "<h1>Gebruikers</h1>" in dutch.text and "alleen single sign-on" in dutch.text
    assert 'action="/admin/users/add?lang=nl"' in dutch.text
    # listing is audited as on the command line
    admin = site.user_id("admin")
    listed = _audit(site, "user.list")
    assert [(e["user_id"], e["via"], e["detail"]) for e in listed] == [
        (admin, "session", {"count": 4})
    ] * 2


def test_the_admin_adds_accounts_that_cansign_in(site: RecordsSite) -> None:
    site.login("admin")
    answer = _post(
        site.http,
        "add",
        name="nurse",
        role="clinician",
        password=NURSE_PASSWORD,
        password_again=NURSE_PASSWORD,
    )
    nurse = site.user_id("nurse")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/admin/users?done=added&user={nurse}"
    assert "Account nurse added." in site.http.get(answer.headers["location"]).text
    nurse_client = _signed_in(site, "nurse", NURSE_PASSWORD)
    assert nurse_client.get("/patients").status_code == 200

    sso = _post(site.http, "add", lang="nl", name="sso-lab", role="lab", sso_only="on")
    sso_id = site.user_id("sso-lab")
    assert sso.headers["location"] == f"/admin/users?done=added&user={sso_id}&lang=nl"
    assert "Account sso-lab toegevoegd." in site.http.get(sso.headers["location"]).text
    with site.context.sessions() as session:
        added = find_user(session, "sso-lab")
        assert added is not None and added.role == "lab" and added.password_hash is None
    assert sign_in(TestClient(site.app), "sso-lab", "").status_code == 401

    assert _changes(site) == [
        ("user.add", "admin", "session", {"user_id": nurse, "role": "clinician"}),
        ("user.add", "admin", "session", {"user_id": sso_id, "role": "lab"}),
    ]


def test_setting_a_password_ends_the_old_one_and_the_users_sessions(site: RecordsSite) -> None:
    clinician_browser = _signed_in(site, "clinician")
    assert clinician_browser.get("/patients").status_code == 200
    bearer = site.headers("clinician")
    site.login("admin")
    answer = _post(
        site.http, "password", name="clinician", password=NEW_PASSWORD, password_again=NEW_PASSWORD
    )
    clinician = site.user_id("clinician")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/admin/users?done=password&user={clinician}"
    done = site.http.get(answer.headers["location"])
    assert "Password of clinician set; clinician is signed out everywhere." in done.text
    # the clinician's session ended; the old password no longer works, the new one does
    assert clinician_browser.get("/patients", follow_redirects=False).status_code == 303
    assert sign_in(TestClient(site.app), "clinician", PASSWORD).status_code == 401
    assert sign_in(TestClient(site.app), "clinician", NEW_PASSWORD).status_code == 303
    assert site.http.get("/api/v1/patients", headers=bearer).status_code == 200  # not a session
    # the admin who set it is still signed in
    assert site.http.get("/admin/users").status_code == 200
    assert _changes(site) == [
        ("user.password", "admin", "session", {"user_id": clinician, "sessions_ended": 1}),
    ]


def test_disabling_refuses_the_user_at_once_and_enabling_lets_them_back(
    site: RecordsSite,
) -> None:
    clinician_browser = _signed_in(site, "clinician")
    bearer = site.headers("clinician")
    assert site.http.get("/api/v1/patients", headers=bearer).status_code == 200
    site.login("admin")
    clinician = site.user_id("clinician")

    answer = _post(site.http, "disable", name="clinician")
    assert answer.headers["location"] == f"/admin/users?done=disabled&user={clinician}"
    page = site.http.get(answer.headers["location"])
    assert "clinician is disabled and signed out everywhere." in page.text
    row = re.search(r"<td>clinician</td>.*?</tr>", page.text, re.S)
    assert row is not None and "disabled" in row.group(0)
    assert 'action="/admin/users/enable"' in row.group(0)
    # refused at once: the existing session, the bearer token, the password
    assert clinician_browser.get("/patients", follow_redirects=False).status_code == 303
    assert clinician_browser.get("/api/v1/patients").status_code == 401
    assert site.http.get("/api/v1/patients", headers=bearer).status_code == 401
    assert sign_in(TestClient(site.app), "clinician", PASSWORD).status_code == 401
    with site.context.sessions() as session:
        assert session.query(WebSession).filter_by(user_id=clinician).count() == 0
    again = _post(site.http, "disable", name="clinician")
    assert "clinician was already disabled." in site.http.get(again.headers["location"]).text

    enabled = _post(site.http, "enable", name="clinician", lang="nl")
    assert enabled.headers["location"] == f"/admin/users?done=enabled&user={clinician}&lang=nl"
    dutch = site.http.get(enabled.headers["location"]).text
    assert "clinician is ingeschakeld en kan zich weer aanmelden." in dutch
    assert site.http.get("/api/v1/patients", headers=bearer).status_code == 200
    assert sign_in(TestClient(site.app), "clinician", PASSWORD).status_code == 303
    assert clinician_browser.get("/patients", follow_redirects=False).status_code == 303  # ended

    assert _changes(site) == [
        ("user.disable", "admin", "session", {"user_id": clinician, "changed": True, "sessions_ended": 1}),
        ("user.disable", "admin", "session", {"user_id": clinician, "changed": False, "sessions_ended": 0}),
        ("user.enable", "admin", "session", {"user_id": clinician, "changed": True, "sessions_ended": 0}),
    ]  # fmt: skip


def test_an_admin_cannot_disable_themselves_or_set_their_own_password_here(
    site: RecordsSite,
) -> None:
    site.login("admin")
    before = _accounts(site)
    page = site.http.get("/admin/users")
    own_row = re.search(r"<td>admin \(you\)</td>.*?</tr>", page.text, re.S)
    assert own_row is not None and "/admin/users/disable" not in own_row.group(0)
    refused = _post(site.http, "disable", name="admin")
    assert refused.status_code == 422
    assert "Name: you cannot disable your own account (you are signed in with it)" in refused.text
    dutch = _post(site.http, "disable", name="admin", lang="nl")
    assert dutch.status_code == 422
    assert "Naam: u kunt uw eigen account niet uitschakelen" in dutch.text
    own = _post(
        site.http, "password", name="admin", password=NEW_PASSWORD, password_again=NEW_PASSWORD
    )
    assert own.status_code == 422
    assert "Name: change your own password under Change password" in own.text
    assert _accounts(site) == before
    assert site.http.get("/admin/users").status_code == 200  # still signed in
    assert _changes(site) == []
    # another admin can
    with site.context.sessions() as session:
        add_user(session, "second-admin", "admin", NEW_PASSWORD)
        session.commit()
    other = _signed_in(site, "second-admin", NEW_PASSWORD)
    assert _post(other, "disable", name="admin").status_code == 303
    assert site.http.get("/admin/users", follow_redirects=False).status_code == 303


def test_every_form_needs_the_csrf_token(site: RecordsSite) -> None:
    site.login("admin")
    before = _accounts(site)
    forms = {
        "/admin/users/add": {"name": "nurse", "role": "clinician", "sso_only": "on"},
        "/admin/users/password": {"name": "lab", "password": NEW_PASSWORD},
        "/admin/users/disable": {"name": "clinician"},
        "/admin/users/enable": {"name": "clinician"},
    }
    forms["/admin/users/password"]["password_again"] = NEW_PASSWORD
    for route, form in forms.items():
        assert site.http.post(route, data=form).status_code == 403
        assert site.http.post(route, data={**form, "csrf_token": "wrong"}).status_code == 403
    assert _accounts(site) == before
    assert _changes(site) == []


BAD_INPUT = [
    # (form, fields, English message, Dutch message, the field marked invalid)
    (
        "add",
        {"name": "nurse", "role": "clinician", "password": "tiny pass", "password_again": "tiny pass"},
        "Password: too short (9 characters); at least 15 characters. Nothing was changed.",
        "Wachtwoord: te kort (9 tekens); minstens 15 tekens. Er is niets gewijzigd.",
        "add_password",
    ),
    (
        "add",
        {"name": "nurse", "role": "clinician", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD + "x"},
        "Password again: differs from the password. Nothing was changed.",
        "Wachtwoord nogmaals: verschilt van het wachtwoord. Er is niets gewijzigd.",
        "add_password_again",
    ),
    (
        "add",
        {"name": "nurse", "role": "root", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
        "Role: unknown role 'root'; one of clinician, lab, admin. Nothing was changed.",
        "Rol: onbekende rol 'root'; een van clinician, lab, admin. Er is niets gewijzigd.",
        "add_role",
    ),
    (
        "add",
        {"name": "clinician", "role": "lab", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
        "Name: an account 'clinician' exists already. Nothing was changed.",
        "Naam: er bestaat al een account 'clinician'. Er is niets gewijzigd.",
        "add_name",
    ),
    (
        "add",
        {"name": "  ", "role": "lab", "sso_only": "on"},
        "Name: must be 1 to 100 characters. Nothing was changed.",
        "Naam: moet 1 tot 100 tekens lang zijn. Er is niets gewijzigd.",
        "add_name",
    ),
    (
        "add",
        {"name": "nurse", "role": "lab", "sso_only": "on", "password": NEW_PASSWORD},
        "Password: leave both password fields empty for an account with single sign-on only.",
        "Wachtwoord: laat beide wachtwoordvelden leeg voor een account met alleen single sign-on.",
        "add_password",
    ),
    (
        "password",
        {"name": "lab", "password": "pw 12345", "password_again": "pw 12345"},
        "Password: too short (8 characters); at least 15 characters. Nothing was changed.",
        "Wachtwoord: te kort (8 tekens); minstens 15 tekens. Er is niets gewijzigd.",
        "password_new",
    ),
    (
        "password",
        {"name": "lab", "password": NEW_PASSWORD, "password_again": "something else entirely"},
        "Password again: differs from the password. Nothing was changed.",
        "Wachtwoord nogmaals: verschilt van het wachtwoord. Er is niets gewijzigd.",
        "password_again",
    ),
    (
        "password",
        {"name": "nobody", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
        "Name: there is no account 'nobody'. Nothing was changed.",
        "Naam: er is geen account 'nobody'. Er is niets gewijzigd.",
        "password_name",
    ),
    (
        "disable",
        {"name": "nobody"},
        "Name: there is no account 'nobody'. Nothing was changed.",
        "Naam: er is geen account 'nobody'. Er is niets gewijzigd.",
        None,
    ),
]  # fmt: skip


@pytest.mark.parametrize(("route", "form", "english", "dutch", "marked"), BAD_INPUT)
def test_bad_input_names_the_field_and_changes_nothing(
    site: RecordsSite,
    route: str,
    form: dict[str, str],
    english: str,
    dutch: str,
    marked: str | None,
) -> None:
    site.login("admin")
    before = _accounts(site)
    for lang, message in (("", english), ("nl", dutch)):
        answer = _post(site.http, route, lang=lang, **form)
        assert answer.status_code == 422
        assert message in _text(answer)
        if marked is not None:
            field = re.search(rf'<(input|select) id="{marked}"[^>]*>', answer.text)
            assert field is not None and 'aria-invalid="true"' in field.group(0)
        for secret in (form.get("password"), form.get("password_again")):
            assert not secret or secret not in answer.text  # never typed back into the page
    if route == "add" and form["name"].strip():
        refilled = re.search(r'<input id="add_name"[^>]*>', answer.text)
        assert refilled is not None and f'value="{form["name"]}"' in refilled.group(0)
    assert _accounts(site) == before
    assert _changes(site) == []
    assert sign_in(TestClient(site.app), "lab", PASSWORD).status_code == 303  # unchanged


def test_no_password_reaches_the_logs_or_the_audit(
    site: RecordsSite, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    site.login("admin")
    typed = "a rejected password that is long enough 31"
    _post(site.http, "add", name="nurse", role="clinician", password=typed, password_again="x")
    _post(
        site.http,
        "add",
        name="nurse",
        role="clinician",
        password="pw 12345",
        password_again="pw 12345",
    )
    _post(site.http, "add", name="nurse", role="clinician", password=NURSE_PASSWORD,
          password_again=NURSE_PASSWORD)  # fmt: skip
    _post(site.http, "password", name="nurse", password=NEW_PASSWORD, password_again=NEW_PASSWORD)
    _post(site.http, "disable", name="nurse")
    _post(site.http, "enable", name="nurse")
    assert sign_in(TestClient(site.app), "nurse", NEW_PASSWORD).status_code == 303
    nurse, admin = site.user_id("nurse"), site.user_id("admin")
    assert [e[0] for e in _changes(site)] == [
        "user.add",
        "user.password",
        "user.disable",
        "user.enable",
    ]
    entries = _audit(site, "")
    dumped = json.dumps(entries)
    with site.context.sessions() as session:
        user = find_user(session, "nurse")
        assert user is not None and user.password_hash
        stored = user.password_hash
    for secret in (typed, "pw 12345", NURSE_PASSWORD, NEW_PASSWORD, PASSWORD, "argon2", stored):
        assert secret not in dumped
        assert secret not in caplog.text
    assert f"admin {admin} added user {nurse} (clinician)" in caplog.text
    assert f"admin {admin} set the password of user {nurse}" in caplog.text


FRESH = "/login?next=/admin/users&fresh=1"
FRESH_NL = "/login?next=/admin/users%3Flang%3Dnl&fresh=1&lang=nl"
# Each change with a valid form, and what it would do: none of it may happen from an old session.
CHANGES = (
    ("add", {"name": "nurse", "role": "admin", "password": NURSE_PASSWORD,
             "password_again": NURSE_PASSWORD}),
    ("password", {"name": "lab", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}),
    ("disable", {"name": "clinician"}),
    ("enable", {"name": "lab"}),
)  # fmt: skip


def _state(site: RecordsSite, name: str) -> tuple[bool, str]:
    with site.context.sessions() as session:
        user = find_user(session, name)
        assert user is not None
        return user.disabled, user.role


def _unchanged(
    site: RecordsSite, before: list[tuple[str, str, bool, str | None]], audited: int = 0
) -> None:
    """No account changed (hashes included), no change audited, nobody added, the targets'
    passwords still work and nobody was disabled."""
    assert _accounts(site) == before
    assert len(_changes(site)) == audited
    assert [name for name, *_ in before] == ["admin", "clinician", "lab"]
    for name in ("clinician", "lab"):
        assert _state(site, name) == (False, name)
        assert sign_in(TestClient(site.app), name, PASSWORD).status_code == 303


def test_an_old_sign_in_must_sign_in_again_before_any_change(
    site: RecordsSite, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="cobalamin.web.auth")
    site.login("admin")
    admin = site.user_id("admin")
    assert "fresh_sign_in" not in site.http.get("/admin/users").text  # just signed in
    # 14 of the 15 minutes: still recent
    assert sign_in_ago(site.context, "admin", 14) == 1
    enabled = _post(site.http, "enable", name="lab")
    assert enabled.status_code == 303 and "done=already_enabled" in enabled.headers["location"]
    assert _changes(site)[-1][0] == "user.enable"
    audited = len(_changes(site))

    assert sign_in_ago(site.context, "admin", 16) == 1
    before = _accounts(site)
    for route, form in CHANGES:
        answer = _post(site.http, route, **form)
        assert answer.status_code == 303, route
        assert answer.headers["location"] == FRESH
        dutch = _post(site.http, route, lang="nl", **form)
        assert dutch.status_code == 303 and dutch.headers["location"] == FRESH_NL
    _unchanged(site, before, audited)  # refused changes are not audited: nothing changed
    # the refusals are logged by user id, never the form
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert refused[0] == (
        f"user {admin}: POST /admin/users/add refused, signed in more than 15 minutes ago"
    )
    assert len(refused) == 2 * len(CHANGES)
    for secret in (NURSE_PASSWORD, NEW_PASSWORD, "nurse"):
        assert secret not in caplog.text

    # the login page says why, in English and Dutch
    login = site.http.get(FRESH)
    assert "This action needs a fresh sign-in" in login.text
    assert 'name="next" value="/admin/users"' in login.text
    login_nl = site.http.get(FRESH_NL)
    assert "Voor deze actie moet u zich opnieuw aanmelden" in login_nl.text
    assert 'name="next" value="/admin/users?lang=nl"' in login_nl.text
    assert "fresh sign-in" not in site.http.get("/login").text
    # the list is still shown to the older session, with the notice and the link
    page = site.http.get("/admin/users")
    assert page.status_code == 200
    notice = re.search(r'<p class="notice" role="status" id="fresh_sign_in">(.*?)</p>', page.text)
    assert notice is not None
    assert "Changes to accounts need a sign-in of the last 15 minutes" in notice.group(1)
    assert f'<a href="{html.escape(FRESH)}">Sign in again</a>' in notice.group(1)
    page_nl = site.http.get("/admin/users?lang=nl")
    assert "in de laatste 15 minuten hebben aangemeld" in page_nl.text
    assert f'<a href="{html.escape(FRESH_NL)}">Opnieuw aanmelden</a>' in page_nl.text

    # signing in again makes a new, recent session: back to the page, and the change works
    again = sign_in(site.http, "admin", PASSWORD, "/admin/users")
    assert again.status_code == 303 and again.headers["location"] == "/admin/users"
    assert "fresh_sign_in" not in site.http.get("/admin/users").text
    changed = _post(
        site.http, "password", name="lab", password=NEW_PASSWORD, password_again=NEW_PASSWORD
    )
    assert changed.status_code == 303 and "done=password" in changed.headers["location"]
    assert sign_in(TestClient(site.app), "lab", NEW_PASSWORD).status_code == 303
    assert _changes(site)[-1][0] == "user.password"


def test_the_token_and_role_checks_still_come_first(
    site: RecordsSite,
) -> None:
    """The older checks come first: a wrong CSRF token is 403 and another role is 403, old
    sign-in or not; only an admin with a valid form is sent to sign in again."""
    site.login("admin")
    clinician = _signed_in(site, "clinician")
    token = CSRF.search(clinician.get("/account/password").text)
    assert token is not None
    sign_in_ago(site.context, "admin", 60)
    sign_in_ago(site.context, "clinician", 60)
    before = _accounts(site)
    form = {"name": "lab"}
    assert (
        site.http.post("/admin/users/disable", data={**form, "csrf_token": "x"}).status_code == 403
    )
    answer = clinician.post(
        "/admin/users/disable", data={**form, "csrf_token": token.group(1)}, follow_redirects=False
    )
    assert answer.status_code == 403
    _unchanged(site, before)


def test_the_window_comes_from_the_environment(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COBALAMIN_RECENT_SIGN_IN_MINUTES", "45")
    made = make_site(db_url)
    try:
        assert made.context.settings.recent_sign_in_minutes == 45
        with TestClient(made.app) as client:
            made.client = client
            made.login("admin")
            sign_in_ago(made.context, "admin", 30)  # older than the default, within 45
            assert "fresh_sign_in" not in client.get("/admin/users").text
            allowed = _post(client, "disable", name="lab")
            assert allowed.status_code == 303 and "done=disabled" in allowed.headers["location"]
            sign_in_ago(made.context, "admin", 46)
            page = client.get("/admin/users").text
            assert "Changes to accounts need a sign-in of the last 45 minutes" in page
            refused = _post(client, "enable", name="lab")
            assert refused.status_code == 303 and refused.headers["location"] == FRESH
            assert _state(made, "lab") == (True, "lab")
    finally:
        made.context.engine.dispose()


def test_the_setting_is_read_and_checked_like_the_other_limits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("COBALAMIN_RECENT_SIGN_IN_MINUTES", raising=False)
    assert Settings().recent_sign_in_minutes == 15
    assert RecordsSettings.from_settings().recent_sign_in_minutes == 15
    # cobalamin serve: the web settings from the environment, handed on to the records
    served = Settings.from_env({"COBALAMIN_RECENT_SIGN_IN_MINUTES": "5"})
    assert served.recent_sign_in_minutes == 5
    assert RecordsSettings.from_settings(served).recent_sign_in_minutes == 5
    assert (
        RecordsSettings.from_settings(served, recent_sign_in_minutes=2.5).recent_sign_in_minutes
        == 2.5
    )
    for bad in ("soon", "0", "-5", "nan", "inf"):
        with pytest.raises(InputError) as raised:
            Settings.from_env({"COBALAMIN_RECENT_SIGN_IN_MINUTES": bad})
        assert raised.value.field == "COBALAMIN_RECENT_SIGN_IN_MINUTES"
        monkeypatch.setenv("COBALAMIN_RECENT_SIGN_IN_MINUTES", bad)
        with pytest.raises(InputError) as raised:
            RecordsSettings.from_settings()
        assert raised.value.field == "COBALAMIN_RECENT_SIGN_IN_MINUTES"
    with pytest.raises(InputError, match="not positive"):
        RecordsSettings(recent_sign_in_minutes=0)
