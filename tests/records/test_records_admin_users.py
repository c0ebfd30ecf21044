"""The admin's accounts page, /admin/users, on a running records app (SQLite and PostgreSQL):
admins only (with a session), every account listed, adding, setting a password, disabling and
enabling take effect at once, an admin cannot disable their own account, CSRF, bad input named
by field in English and Dutch with nothing changed, the audit, and no password in any log."""

from __future__ import annotations

import html
import json
import logging
import re
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from records_helpers import CSRF, PASSWORD, RecordsSite, sign_in

from cobalamin.storage.accounts import add_user, find_user, list_users
from cobalamin.storage.audit import audit_entries
from cobalamin.storage.models import WebSession

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


def _csrf(client: TestClient) -> str:
    page = client.get("/admin/users")
    assert page.status_code == 200, page.text
    token = CSRF.search(page.text)
    assert token is not None
    return token.group(1)


def _post(client: TestClient, route: str, lang: str = "", **form: str) -> httpx.Response:
    data = {"csrf_token": _csrf(client), **form}
    suffix = f"?lang={lang}" if lang else ""
    return client.post(f"/admin/users/{route}{suffix}", data=data, follow_redirects=False)


def _text(answer: httpx.Response) -> str:
    return html.unescape(answer.text)


def _accounts(site: RecordsSite) -> list[tuple[str, str, bool, str | None]]:
    """Every account as stored (hash included): what "nothing changed" compares."""
    with site.context.sessions() as session:
        return [(u.name, u.role, u.disabled, u.password_hash) for u in list_users(session)]


def _user_id(site: RecordsSite, name: str) -> int:
    with site.context.sessions() as session:
        user = find_user(session, name)
        assert user is not None
        return user.id


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
    admin = _user_id(site, "admin")
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
    nurse = _user_id(site, "nurse")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/admin/users?done=added&user={nurse}"
    assert "Account nurse added." in site.http.get(answer.headers["location"]).text
    nurse_client = _signed_in(site, "nurse", NURSE_PASSWORD)
    assert nurse_client.get("/patients").status_code == 200

    sso = _post(site.http, "add", lang="nl", name="sso-lab", role="lab", sso_only="on")
    sso_id = _user_id(site, "sso-lab")
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
    clinician = _user_id(site, "clinician")
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
    clinician = _user_id(site, "clinician")

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
    nurse, admin = _user_id(site, "nurse"), _user_id(site, "admin")
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
