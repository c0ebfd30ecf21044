"""Single sign-on through OpenID Connect against a stand-in provider on loopback: the code flow
with PKCE and a nonce signs a linked user in; anything forged or mismatched does not."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc.jwk import RSAKey
from records_helpers import CSRF, RecordsSite, make_site, sign_in_ago
from records_idp import CLIENT_ID, CLIENT_SECRET, Running, StandInIdP

from cobalamin.storage.accounts import add_user, named_user, set_disabled
from cobalamin.storage.audit import audit_entries


@pytest.fixture
def idp() -> Iterator[StandInIdP]:
    provider = StandInIdP()
    with Running(provider):
        yield provider


@pytest.fixture
def sso_site(db_url: str, idp: StandInIdP) -> Iterator[RecordsSite]:
    made = make_site(
        db_url, oidc_issuer=idp.issuer, oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET
    )
    with made.context.sessions() as session:
        add_user(session, "sso-doc", "clinician", None)  # single sign-on only: no password
        session.commit()
    with TestClient(made.app) as client:
        made.client = client
        yield made
    made.context.engine.dispose()


def _sign_on(site: RecordsSite, next_path: str = "/due") -> httpx.Response:
    """Start at the records server, pass the provider, come back; the last answer."""
    start = site.http.get(f"/auth/sso?next={next_path}", follow_redirects=False)
    assert start.status_code == 303
    at_provider = httpx.get(start.headers["location"], follow_redirects=False, timeout=10)
    assert at_provider.status_code == 302, at_provider.text
    back = at_provider.headers["location"]
    assert back.startswith("http://testserver/auth/sso/callback?")
    return site.http.get(back, follow_redirects=False)


def test_a_linked_user_signs_on_with_code_flow_pkce_and_nonce(sso_site: RecordsSite) -> None:
    assert "/auth/sso" in sso_site.http.get("/login").text
    start = sso_site.http.get("/auth/sso?next=/due", follow_redirects=False)
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    assert query["client_id"] == [CLIENT_ID] and "openid" in query["scope"][0]
    answer = _sign_on(sso_site)
    assert answer.status_code == 303 and answer.headers["location"] == "/due"
    page = sso_site.http.get("/due")
    assert page.status_code == 200 and "sso-doc" in page.text
    with sso_site.context.sessions() as session:
        logins = [e for e in audit_entries(session) if e["action"] == "login"]
        assert [(e["user"], e["via"]) for e in logins] == [("sso-doc", "sso")]


def test_the_link_follows_the_subject_not_the_name(sso_site: RecordsSite, idp: StandInIdP) -> None:
    assert _sign_on(sso_site).status_code == 303
    sso_site.http.cookies.clear()
    idp.user = ("sub-0001", "renamed-at-the-provider")
    assert _sign_on(sso_site).status_code == 303
    assert "sso-doc" in sso_site.http.get("/due").text
    sso_site.http.cookies.clear()
    idp.user = ("sub-9999", "sso-doc")  # another account claiming the linked name
    assert _sign_on(sso_site).status_code == 403


def test_a_disabled_user_cannot_sign_on_and_their_session_ends(sso_site: RecordsSite) -> None:
    assert _sign_on(sso_site).status_code == 303
    assert sso_site.http.get("/due").status_code == 200
    with sso_site.context.sessions() as session:
        set_disabled(session, named_user(session, "sso-doc"), True)
        session.commit()
    assert sso_site.http.get("/due", follow_redirects=False).status_code == 303
    assert _sign_on(sso_site).status_code == 403  # the link to the provider is kept, refused
    with sso_site.context.sessions() as session:
        set_disabled(session, named_user(session, "sso-doc"), False)
        session.commit()
    assert _sign_on(sso_site).status_code == 303
    assert "sso-doc" in sso_site.http.get("/due").text


def test_unknown_users_and_forgeries_are_refused(sso_site: RecordsSite, idp: StandInIdP) -> None:
    idp.user = ("sub-0002", "stranger")
    assert _sign_on(sso_site).status_code == 403
    idp.user = ("sub-0001", "sso-doc")
    idp.nonce_override = "a-nonce-from-elsewhere"
    assert _sign_on(sso_site).status_code == 401
    idp.nonce_override = None
    idp.signing_key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    assert _sign_on(sso_site).status_code == 401
    idp.signing_key = None
    start = sso_site.http.get("/auth/sso", follow_redirects=False)
    back = httpx.get(start.headers["location"], follow_redirects=False).headers["location"]
    forged = back.replace("state=", "state=x")
    assert sso_site.http.get(forged, follow_redirects=False).status_code == 400
    sso_site.http.cookies.clear()  # no state cookie: a callback this browser never started
    assert sso_site.http.get(back, follow_redirects=False).status_code == 400
    assert sso_site.http.get("/due", follow_redirects=False).status_code == 303  # not signed in


def test_without_configuration_there_is_no_sign_on(db_url: str) -> None:
    made = make_site(db_url)
    try:
        with TestClient(made.app) as client:
            assert client.get("/auth/sso", follow_redirects=False).status_code == 404
            assert "/auth/sso" not in client.get("/login").text
    finally:
        made.context.engine.dispose()


def test_signing_on_again_makes_an_old_session_recent(
    sso_site: RecordsSite, idp: StandInIdP
) -> None:
    """An admin who signs in with single sign-on: after the window, /admin/users sends them
    to sign in again and changes nothing; signing on again makes a new session that may."""
    idp.user = ("sub-0042", "admin")  # links the admin account on its first sign-on
    assert _sign_on(sso_site, "/admin/users").headers["location"] == "/admin/users"

    def disable_lab() -> httpx.Response:
        token = CSRF.search(sso_site.http.get("/admin/users").text)
        assert token is not None
        form = {"csrf_token": token.group(1), "name": "lab"}
        return sso_site.http.post("/admin/users/disable", data=form, follow_redirects=False)

    assert sign_in_ago(sso_site.context, "admin", 20) == 1
    refused = disable_lab()
    assert refused.status_code == 303
    assert refused.headers["location"] == "/login?next=/admin/users&fresh=1"
    login = sso_site.http.get(refused.headers["location"]).text
    assert "This action needs a fresh sign-in" in login
    assert 'href="/auth/sso?next=/admin/users"' in login  # the sign-on comes back here too
    with sso_site.context.sessions() as session:
        assert not named_user(session, "lab").disabled

    assert _sign_on(sso_site, "/admin/users").headers["location"] == "/admin/users"
    done = disable_lab()
    assert done.status_code == 303 and "done=disabled" in done.headers["location"]
    with sso_site.context.sessions() as session:
        assert named_user(session, "lab").disabled
        entries = [(e["action"], e["user"], e["via"]) for e in audit_entries(session)]
        assert [e for e in entries if e[0] in ("login", "user.disable")] == [
            ("login", "admin", "sso"),
            ("login", "admin", "sso"),
            ("user.disable", "admin", "session"),
        ]
