"""The laboratory pages: upload a file, follow its job, download the results.

Switched on by the settings (``lab_enabled``); on the full server only for signed-in users
(``cobalamin.web.server``), and the upload form carries the session's CSRF token.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from cobalamin.errors import InputError
from cobalamin.web.access import check_form_csrf, require_lab
from cobalamin.web.calculators import DEFAULT_PACK
from cobalamin.web.forms import FormState
from cobalamin.web.jobs import Job, JobRunner
from cobalamin.web.pages import render
from cobalamin.web.responses import problems

__all__ = ["router"]

router = APIRouter(tags=["laboratory"], dependencies=[Depends(require_lab)])


def _jobs(request: Request) -> JobRunner:
    jobs: JobRunner = request.app.state.jobs
    return jobs


def _context(request: Request) -> dict[str, Any]:
    knowledge = request.app.state.knowledge
    return {
        "packs": [knowledge.pack(i) for i in knowledge.packs.ids()],
        "default_pack": DEFAULT_PACK,
    }


@router.get("/lab", response_class=HTMLResponse, include_in_schema=False)
def lab_form(request: Request) -> HTMLResponse:
    return render(request, "lab.html", _context(request))


@router.post("/lab", response_class=HTMLResponse, include_in_schema=False, response_model=None)
async def lab_upload(request: Request) -> HTMLResponse | RedirectResponse:
    form = await request.form()
    await run_in_threadpool(check_form_csrf, request, form.get("csrf_token"))
    upload = form.get("file")
    pack = str(form.get("pack") or DEFAULT_PACK)
    state = FormState(values={"pack": pack})
    try:
        request.app.state.knowledge.pack(pack)
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InputError("file", "choose a file to upload", "CSV, Parquet or HL7")
        job_id = await run_in_threadpool(_jobs(request).submit, upload.file, upload.filename, pack)
    except InputError as exc:
        state.errors[exc.field] = exc.message + (f" ({exc.allowed})" if exc.allowed else "")
        return render(request, "lab.html", {**_context(request), "state": state}, 422)
    return RedirectResponse(f"/lab/jobs/{job_id}", status_code=303)


def _job(request: Request, job_id: str) -> Job:
    job = _jobs(request).get(job_id)
    if job is None:
        raise HTTPException(
            404, "no such job (finished jobs are removed after download or an hour)"
        )
    return job


def _status(job: Job) -> dict[str, Any]:
    status = dict(job.status)
    total = status.get("total") or 0
    status["percent"] = (
        100
        if status["state"] == "done"
        else (int(100 * status.get("done", 0) / total) if total else 0)
    )
    status["id"] = job.id
    return status


@router.get("/lab/jobs/{job_id}", response_class=HTMLResponse, include_in_schema=False)
def job_page(request: Request, job_id: str) -> HTMLResponse:
    return render(request, "lab_job.html", {"job": _status(_job(request, job_id))})


@router.get("/api/v1/jobs/{job_id}", responses=problems(401, 404))
def job_status(request: Request, job_id: str) -> JSONResponse:
    """A laboratory job's state (queued, running, done, failed), rows done and result."""
    return JSONResponse(_status(_job(request, job_id)))


@router.get("/lab/jobs/{job_id}/{which}", include_in_schema=False)
def job_file(request: Request, job_id: str, which: str) -> FileResponse:
    if which not in ("output", "errors"):
        raise HTTPException(404, "output or errors")
    job = _job(request, job_id)
    path = job.file(which)
    if path is None:
        raise HTTPException(404, "the job has no such file (yet)")
    return FileResponse(
        path,
        filename=f"{job_id[:8]}-{path.name}",
        background=BackgroundTask(_jobs(request).downloaded, job, which),
    )
