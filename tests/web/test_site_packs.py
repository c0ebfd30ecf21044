"""Site packs uploaded through the web: admins only (401 anonymous, 403 other roles), CSRF on
the form, a size limit, the loader's own errors (file, line, column, field) on the page and
as 422, stored in the server's site pack folder, never taking a built-in pack's id; then
``assess`` with the uploaded pack works."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cobalamin.storage.accounts import add_user, create_token
from cobalamin.storage.models import AuditEntry
from cobalamin.web.server import build_app
from cobalamin.web.settings import Settings

EXAMPLE = (Path(__file__).parents[2] / "examples" / "site-pack.yaml").read_text(encoding="utf-8")
PASSWORD = "a long enough test password"
YAML = {"Content-Type": "application/yaml"}


class Site:
    def __init__(self, client: TestClient, tokens: dict[str, str], folder: Path) -> None:
        self.client = client
        self.tokens = tokens
        self.folder = folder

    def bearer(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}", **YAML}


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    settings = Settings(data_dir=tmp_path / "data", site_pack_max_bytes=4096)
    app = build_app(settings)
    tokens = {}
    with app.state.records.sessions() as session:
        for role in ("clinician", "admin"):
            add_user(session, role, role, PASSWORD)
            tokens[role] = create_token(session, role).token
        session.commit()
    with TestClient(app) as client:
        yield Site(client, tokens, settings.site_pack_dir)


def test_an_admin_uploads_a_pack_and_assess_uses_it(site: Site) -> None:
    stored = site.client.post("/api/v1/site-packs", content=EXAMPLE, headers=site.bearer("admin"))
    assert stored.status_code == 201, stored.text
    assert stored.json() == {"id": "example-site"}
    assert (site.folder / "example-site.yaml").read_text(encoding="utf-8") == EXAMPLE
    case = {"results": [{"test": "b12", "value": 240, "unit": "pmol/L"}]}
    answer = site.client.post("/api/v1/assess?pack=example-site", json=case)
    assert answer.status_code == 200, answer.text
    assert answer.json()["pack"] == "example-site"
    assert answer.json()["deficiency"] == "indeterminate"  # the site's grey zone up to 250
    assert "example-site" in [p["id"] for p in site.client.get("/api/v1/packs").json()]
    # a corrected upload of the same id replaces it
    again = site.client.post(
        "/api/v1/site-packs",
        content=EXAMPLE.replace("value: 250", "value: 230"),
        headers=site.bearer("admin"),
    )
    assert again.status_code == 201, again.text
    answer = site.client.post("/api/v1/assess?pack=example-site", json=case)
    assert answer.json()["deficiency"] != "indeterminate"


def test_only_admins_may_upload(site: Site) -> None:
    anonymous = site.client.post("/api/v1/site-packs", content=EXAMPLE, headers=YAML)
    assert anonymous.status_code == 401
    clinician = site.client.post(
        "/api/v1/site-packs", content=EXAMPLE, headers=site.bearer("clinician")
    )
    assert clinician.status_code == 403
    assert not (site.folder / "example-site.yaml").exists()
    page = site.client.get("/admin/packs", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_a_builtin_id_is_refused_by_the_registry(site: Site) -> None:
    taken = EXAMPLE.replace("id: example-site", "id: nice-ng239")
    answer = site.client.post("/api/v1/site-packs", content=taken, headers=site.bearer("admin"))
    assert answer.status_code == 422
    detail = answer.json()["detail"][0]
    assert detail["loc"] == ["upload.yaml: id"]
    assert "already the id of a built-in pack" in detail["msg"]
    assert list(site.folder.iterdir()) == []
    assert site.client.get("/api/v1/packs/nice-ng239").json()["id"] == "nice-ng239"


def test_the_loaders_errors_name_line_column_and_field(site: Site) -> None:
    wrong = EXAMPLE.replace("      value: 250", "      value: lots")
    answer = site.client.post("/api/v1/site-packs", content=wrong, headers=site.bearer("admin"))
    assert answer.status_code == 422
    where = answer.json()["detail"][0]["loc"][0]
    assert re.match(r"upload\.yaml, line \d+, col \d+: .*b12_high", where), where
    for bad, says in (
        ("id: [unclosed", "upload.yaml"),
        ("!!python/object/apply:os.system ['echo owned']", "upload.yaml"),
        ("x" * 5000, "4 KiB"),
        ("- just\n- a list\n", "id"),
    ):
        refused = site.client.post("/api/v1/site-packs", content=bad, headers=site.bearer("admin"))
        assert refused.status_code == 422, (bad[:20], refused.text)
        assert says in refused.json()["message"]
    assert list(site.folder.iterdir()) == []


def _sign_in(client: TestClient, name: str) -> str:
    login = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
    assert token is not None
    answer = client.post(
        "/login",
        data={"username": name, "password": PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    page = client.get("/admin/packs")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    return found.group(1) if found else ""


def test_the_page_takes_an_upload_with_csrf_and_shows_the_loaders_errors(site: Site) -> None:
    csrf = _sign_in(site.client, "admin")
    assert csrf
    files = {"file": ("site.yaml", EXAMPLE.replace("value: 250", "value: lots"), "text/yaml")}
    shown = site.client.post("/admin/packs", data={"csrf_token": csrf}, files=files)
    assert shown.status_code == 422
    assert re.search(r"site\.yaml, line \d+, col \d+: [^<]*b12_high", shown.text), shown.text
    no_csrf = site.client.post("/admin/packs", files={"file": ("site.yaml", EXAMPLE, "text/yaml")})
    assert no_csrf.status_code == 403
    assert not (site.folder / "example-site.yaml").exists()
    stored = site.client.post(
        "/admin/packs",
        data={"csrf_token": csrf},
        files={"file": ("site.yaml", EXAMPLE, "text/yaml")},
    )
    assert stored.status_code == 200 and "example-site" in stored.text
    assert (site.folder / "example-site.yaml").exists()


def test_the_page_is_for_admins(site: Site) -> None:
    _sign_in(site.client, "clinician")
    assert site.client.get("/admin/packs").status_code == 403


def test_every_stored_pack_is_in_the_audit_log(site: Site) -> None:
    """A site pack changes every interpretation made with it: who stored which file."""
    stored = site.client.post("/api/v1/site-packs", content=EXAMPLE, headers=site.bearer("admin"))
    assert stored.status_code == 201, stored.text
    refused = site.client.post("/api/v1/site-packs", content="id: [", headers=site.bearer("admin"))
    assert refused.status_code == 422
    app = site.client.app
    with app.state.records.sessions() as session:  # type: ignore[attr-defined]
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "site_pack.upload")
        ).all()
    assert [(e.user_name, e.detail) for e in entries] == [
        ("admin", {"pack": "example-site", "sha256": hashlib.sha256(EXAMPLE.encode()).hexdigest()})
    ]
