"""Site packs uploaded through the web: admins only, YAML safe-loaded with a size limit,
checked by the pack loader itself, stored in the server's site pack folder.

    GET  /admin/packs            the page: site packs on this server and an upload form (CSRF)
    POST /admin/packs            the form's upload; the loader's errors (file, line, column,
                                 field) on the page with 422
    POST /api/v1/site-packs      the same for machines: the YAML as the body; 201, or 422 with
                                 the loader's errors; 401 without a token, 403 for non-admins

The upload is checked by a ``PackRegistry`` over the built-in packs, the site folders and a
folder holding only the upload, so the registry's own rule refuses a built-in pack's id (and
any other pack's, except an earlier upload of the same id, which the upload replaces). Only
then is the file written, as ``<id>.yaml``, and the live registry rescanned.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from cobalamin.errors import InputError, KnowledgeError
from cobalamin.knowledge.packs import PackRegistry
from cobalamin.knowledge.registry import Knowledge
from cobalamin.knowledge.sources import fast_yaml_document
from cobalamin.storage.audit import record
from cobalamin.web.access import current_user
from cobalamin.web.api import ErrorResponse
from cobalamin.web.app import input_error_body
from cobalamin.web.auth import DbSession, LoginRequired, Principal, check_csrf, require_role
from cobalamin.web.forms import FormState
from cobalamin.web.limits import human_bytes
from cobalamin.web.pages import render
from cobalamin.web.responses import problems
from cobalamin.web.settings import Settings

__all__ = ["api_router", "page_router", "store_site_pack"]

PACK_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_lock = threading.Lock()  # one upload at a time: check and store as one step


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _knowledge(request: Request) -> Knowledge:
    knowledge: Knowledge = request.app.state.knowledge
    return knowledge


def _folder(request: Request) -> Path:
    folder = _settings(request).site_pack_dir
    if folder not in _knowledge(request).packs.site_folders:
        raise InputError("file", "this server does not take site packs through the web")
    return folder


def store_site_pack(knowledge: Knowledge, folder: Path, data: bytes, name: str, limit: int) -> str:
    """Check an uploaded pack and store it in ``folder``; its id. InputError or
    KnowledgeError (with ``name`` for the file in every message) when it is refused."""
    if len(data) > limit:
        raise InputError("file", f"is larger than the limit of {human_bytes(limit)}")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("file", "is not UTF-8 text (a pack is a YAML file)") from None
    live = knowledge.packs
    with _lock, tempfile.TemporaryDirectory(prefix="cobalamin-pack-") as scratch:
        upload = Path(scratch) / "upload.yaml"
        upload.write_bytes(data)
        try:
            pack_id = _checked(live, folder, upload)
        except KnowledgeError as exc:
            raise KnowledgeError(
                exc.where.replace(str(upload), name), exc.message.replace(str(upload), name)
            ) from None
        target = folder / f"{pack_id}.yaml"
        shutil.copyfile(upload, target.with_suffix(".part"))
        target.with_suffix(".part").replace(target)  # whole or not at all
        live.rescan()
    return pack_id


def _checked(live: PackRegistry, folder: Path, upload: Path) -> str:
    data = fast_yaml_document(upload).data  # safe-loaded: plain data, no objects
    pack_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(pack_id, str) or not PACK_ID.match(pack_id):
        raise KnowledgeError(
            f"{upload}: id", "a pack needs an id of lower-case letters, digits, '.', '_', '-'"
        )
    # the other site packs of the upload folder (an earlier upload of this id is replaced)
    with tempfile.TemporaryDirectory(prefix="cobalamin-site-") as others:
        if folder.is_dir():
            for path in folder.glob("*.yaml"):
                if path.name != f"{pack_id}.yaml":
                    shutil.copyfile(path, Path(others) / path.name)
        folders = [f for f in live.site_folders if f != folder]
        trial = PackRegistry(
            live.builtin_folder, [*folders, Path(others), upload.parent], live.catalogues
        )
        trial.ids()  # the registry refuses an id that is taken (a built-in one above all)
        trial.load(pack_id)  # the loader's own checks, with line and column
    return pack_id


def _site_packs(request: Request) -> list[dict[str, Any]]:
    packs = _knowledge(request).packs
    return [
        {
            "id": i,
            "title": packs.load(i).title,
            "uploaded": packs.path_of(i).parent == _settings(request).site_pack_dir,
        }
        for i in packs.ids()
        if not packs.is_builtin(i)
    ]


api_router = APIRouter(prefix="/api/v1", tags=["site packs"])
page_router = APIRouter(include_in_schema=False)
Admin = Annotated[Principal, Depends(require_role("admin"))]


def page_admin(request: Request) -> Principal:
    """The signed-in admin of a page, through the app's user hook (the page's own render
    asks the same hook; a second database session per request would wait on the first)."""
    user = current_user(request)
    if not isinstance(user, Principal):
        raise LoginRequired(request.url.path)
    if user.role != "admin":
        raise HTTPException(403, "this needs the role admin")
    return user


PageAdmin = Annotated[Principal, Depends(page_admin)]


def _audit_upload(session: Session, who: Principal, pack_id: str, data: bytes) -> None:
    """A stored pack changes every interpretation made with it: who stored which file."""
    record(session, who.actor, "site_pack.upload", pack=pack_id,
           sha256=hashlib.sha256(data).hexdigest())  # fmt: skip
    session.commit()


@api_router.post(
    "/site-packs",
    status_code=201,
    response_model=None,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/yaml": {"schema": {"type": "string"}}},
        }
    },
    responses={
        201: {"description": "Stored: the pack's id."},
        **problems(401, 403, 413),
        422: {"model": ErrorResponse, "description": "The loader's errors: file, line, field."},
    },
)
async def upload_site_pack(request: Request, who: Admin, session: DbSession) -> Response:
    """Store a site pack (admins): the YAML file as the body."""
    settings = _settings(request)
    data = await request.body()
    try:
        pack_id = await run_in_threadpool(
            store_site_pack,
            _knowledge(request),
            _folder(request),
            data,
            "upload.yaml",
            settings.site_pack_max_bytes,
        )
    except (InputError, KnowledgeError) as exc:
        return JSONResponse(input_error_body(exc), status_code=422)
    await run_in_threadpool(_audit_upload, session, who, pack_id, data)
    return JSONResponse({"id": pack_id}, status_code=201)


@page_router.get("/admin/packs", response_class=HTMLResponse)
def site_packs_page(request: Request, who: PageAdmin) -> HTMLResponse:
    return render(
        request,
        "site_packs.html",
        {"site_packs": _site_packs(request), "uploaded": request.query_params.get("uploaded")},
    )


@page_router.post("/admin/packs", response_model=None)
async def site_packs_upload(
    request: Request, who: PageAdmin, session: DbSession
) -> HTMLResponse | RedirectResponse:
    form = await request.form()
    token = form.get("csrf_token")
    check_csrf(who, token if isinstance(token, str) else None)
    upload = form.get("file")
    settings = _settings(request)
    state = FormState()
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InputError("file", "choose a pack file (.yaml) to upload")
        data = await upload.read(settings.site_pack_max_bytes + 1)
        name = Path(upload.filename).name
        pack_id = await run_in_threadpool(
            store_site_pack,
            _knowledge(request),
            _folder(request),
            data,
            name,
            settings.site_pack_max_bytes,
        )
    except (InputError, KnowledgeError) as exc:
        state.errors["file"] = str(exc)
        context = {"site_packs": _site_packs(request), "state": state, "uploaded": None}
        return render(request, "site_packs.html", context, 422)
    await run_in_threadpool(_audit_upload, session, who, pack_id, data)
    return RedirectResponse(f"/admin/packs?uploaded={pack_id}", status_code=303)
