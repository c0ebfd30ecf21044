"""A records app for tests, with a user and a bearer token per role."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from cobalamin.storage.accounts import add_user, create_token, find_user, named_user
from cobalamin.storage.models import WebSession
from cobalamin.web.records import create_records_app
from cobalamin.web.records_context import RecordsContext

PASSWORD = "a long enough test password"
ROLES = ("clinician", "lab", "admin")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in(client: TestClient, name: str, password: str, next_path: str | None = None) -> Any:
    """Post the login form (with the login page's CSRF token); the unfollowed answer."""
    token = CSRF.search(client.get("/login").text)
    assert token is not None
    data = {"username": name, "password": password, "csrf_token": token.group(1)}
    if next_path is not None:
        data["next"] = next_path
    return client.post("/login", data=data, follow_redirects=False)


def sign_in_ago(context: RecordsContext, name: str, minutes: float) -> int:
    """Move the sign-in of every session of ``name`` to ``minutes`` ago (the stored
    ``created_at``), as if the sessions had been idle that long; how many sessions moved."""
    with context.sessions() as session:
        user = named_user(session, name)
        moment = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes)
        moved = session.execute(
            update(WebSession).where(WebSession.user_id == user.id).values(created_at=moment)
        )
        session.commit()
        count: int = moved.rowcount
        return count


def page_csrf(client: TestClient, path: str) -> str:
    """The session's CSRF token as the page at ``path`` carries it."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    token = CSRF.search(page.text)
    assert token is not None
    return token.group(1)


@dataclass
class RecordsSite:
    app: FastAPI
    context: RecordsContext
    tokens: dict[str, str] = field(default_factory=dict)
    client: TestClient | None = None

    def headers(self, role: str = "clinician") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    @property
    def http(self) -> TestClient:
        assert self.client is not None
        return self.client

    def login(self, name: str = "clinician", password: str = PASSWORD) -> str:
        """Sign in through the login form; returns the session's CSRF token."""
        answer = sign_in(self.http, name, password, "/patients")
        assert answer.status_code == 303, answer.text
        search = self.http.get("/patients")
        if search.status_code == 403:  # a role without the records pages
            return ""
        csrf = CSRF.search(search.text)
        assert csrf is not None
        return csrf.group(1)

    def user_id(self, name: str) -> int:
        with self.context.sessions() as session:
            user = find_user(session, name)
            assert user is not None
            return user.id

    def patient(self, role: str = "clinician", **fields: Any) -> str:
        body = {"identifier": "MRN-1001", "birth_date": "1970-03-14", "sex": "female", **fields}
        answer = self.http.post("/api/v1/patients", json=body, headers=self.headers(role))
        assert answer.status_code == 201, answer.text
        patient_id: str = answer.json()["id"]
        return patient_id


def make_site(db_url: str, **settings: Any) -> RecordsSite:
    app = create_records_app(db_url, **settings)
    context: RecordsContext = app.state.records
    site = RecordsSite(app, context)
    with context.sessions() as session:
        for role in ROLES:
            add_user(session, role, role, PASSWORD)
            site.tokens[role] = create_token(session, role).token
        session.commit()
    return site
