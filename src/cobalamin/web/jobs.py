"""Laboratory files as background jobs: the upload is saved, a worker process interprets it,
the page polls a small status file for progress, and the results are downloaded.

A job runs in a separate process (``spawn``), so a large file never holds the server's event
loop or its interpreter lock. Each job has its own folder under ``<data dir>/jobs/<id>``:
``input.*``, ``output.*``, ``errors.*`` and ``status.json``, written atomically. A folder is
removed once both results were downloaded, or when it is older than the settings' time to
live. No personal data goes to any log: the status holds counts and a summary only.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import IO, Any

from cobalamin.errors import CobalaminError, InputError
from cobalamin.web.settings import Settings

__all__ = ["KINDS", "Job", "JobRunner", "job_kind", "run_job"]

KINDS = {".csv": "batch", ".parquet": "batch", ".hl7": "hl7", ".txt": "hl7"}
_ID = re.compile(r"^[0-9a-f]{32}$")
_PROGRESS_EVERY_S = 0.3
_CHUNK = 1024 * 1024


def job_kind(filename: str) -> tuple[str, str]:
    """The job kind and file suffix of an upload, from its name."""
    suffix = Path(filename).suffix.lower()
    if suffix not in KINDS:
        raise InputError(
            "file", f"cannot read a {suffix or 'nameless'} file", "CSV, Parquet, HL7 (.hl7, .txt)"
        )
    return KINDS[suffix], suffix


def _write_status(folder: Path, **status: Any) -> None:
    tmp = folder / f".status-{os.getpid()}.json"
    tmp.write_text(json.dumps(status), encoding="utf-8")
    os.replace(tmp, folder / "status.json")


def _reporter(folder: Path, base: dict[str, Any]) -> Callable[[int, int], None]:
    last = 0.0

    def report(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= _PROGRESS_EVERY_S or done >= total:
            last = now
            _write_status(folder, **base, state="running", done=done, total=total)

    return report


def run_job(
    folder_name: str, kind: str, suffix: str, pack_id: str, pack_path: tuple[str, ...]
) -> None:
    """Interpret one uploaded file (runs in a worker process)."""
    from cobalamin.defaults import knowledge_for

    folder = Path(folder_name)
    base = {"kind": kind, "pack": pack_id}
    _write_status(folder, **base, state="running", done=0, total=0)
    source = folder / f"input{suffix}"
    try:
        knowledge = knowledge_for([Path(p) for p in pack_path])
        pack = knowledge.pack(pack_id)
        if kind == "batch":
            from cobalamin.batch.run import run_batch

            report = run_batch(
                source,
                pack,
                folder / f"output{suffix}",
                folder / "errors.csv",
                progress=_reporter(folder, base),
                knowledge=knowledge,
            )
            result = {
                "rows_in": report.rows_in, "rows_ok": report.rows_ok,
                "rows_error": report.rows_error, "samples": report.samples,
                "pack_sha256": report.pack_sha256, "output": f"output{suffix}",
                "errors": "errors.csv",
            }  # fmt: skip
            done = report.rows_in
        else:
            from cobalamin.interop.hl7v2 import interpret_file

            hl7 = interpret_file(source, pack, folder / "output.hl7", knowledge=knowledge)
            (folder / "errors.txt").write_text(
                "".join(f"{problem}\n" for problem in hl7.problems), encoding="utf-8"
            )
            result = {
                "messages_read": hl7.read, "messages_ok": hl7.written,
                "messages_error": len(hl7.problems), "pack_sha256": pack.sha256,
                "output": "output.hl7", "errors": "errors.txt",
            }  # fmt: skip
            done = hl7.read
        _write_status(folder, **base, state="done", done=done, total=done, result=result)
    except CobalaminError as exc:
        _write_status(folder, **base, state="failed", done=0, total=0, message=str(exc))
    except Exception as exc:  # a bug: one line in the status, never a traceback
        message = f"internal error ({type(exc).__name__})"
        _write_status(folder, **base, state="failed", done=0, total=0, message=message)
    finally:
        with contextlib.suppress(OSError):
            source.unlink()


@dataclass(frozen=True)
class Job:
    id: str
    folder: Path
    status: dict[str, Any]

    def file(self, which: str) -> Path | None:
        """The output or error file, when the job is done."""
        name = self.status.get("result", {}).get(which)
        path = self.folder / name if isinstance(name, str) else None
        return path if path is not None and path.is_file() else None


class JobRunner:
    """Saves uploads, runs them on a process pool, reports progress, cleans up."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.folder = settings.jobs_dir
        self._pool: ProcessPoolExecutor | None = None
        self._futures: dict[str, Future[None]] = {}

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=max(1, self.settings.job_workers), mp_context=get_context("spawn")
            )
        return self._pool

    def submit(self, upload: IO[bytes], filename: str, pack_id: str) -> str:
        """Save an upload and queue it; returns the job id. Runs in a worker thread."""
        kind, suffix = job_kind(filename)
        self.clean_expired()
        job_id = uuid.uuid4().hex
        folder = self.folder / job_id
        folder.mkdir(parents=True)
        written = 0
        with (folder / f"input{suffix}").open("wb") as out:
            while chunk := upload.read(_CHUNK):
                written += len(chunk)
                if written > self.settings.lab_max_upload_bytes:
                    out.close()
                    shutil.rmtree(folder, ignore_errors=True)
                    limit = self.settings.lab_max_upload_bytes // (1024 * 1024)
                    raise InputError("file", "the file is too large", f"at most {limit} MB")
                out.write(chunk)
        if written == 0:
            shutil.rmtree(folder, ignore_errors=True)
            raise InputError("file", "the file is empty", "a CSV, Parquet or HL7 file")
        _write_status(folder, kind=kind, pack=pack_id, state="queued", done=0, total=0,
                      created=time.time())  # fmt: skip
        paths = tuple(str(p) for p in self.settings.pack_path)
        future = self._executor().submit(run_job, str(folder), kind, suffix, pack_id, paths)
        self._futures[job_id] = future
        future.add_done_callback(lambda _: self._futures.pop(job_id, None))
        return job_id

    def get(self, job_id: str) -> Job | None:
        if not _ID.match(job_id):
            return None
        folder = self.folder / job_id
        try:
            status = json.loads((folder / "status.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return Job(job_id, folder, status)

    def downloaded(self, job: Job, which: str) -> None:
        """Note a download; the folder goes when both results have been fetched."""
        marker = job.folder / f".downloaded-{which}"
        marker.touch()
        if all((job.folder / f".downloaded-{w}").exists() for w in ("output", "errors")):
            shutil.rmtree(job.folder, ignore_errors=True)

    def clean_expired(self) -> None:
        if not self.folder.is_dir():
            return
        limit = time.time() - self.settings.job_ttl_seconds
        for folder in self.folder.iterdir():
            with contextlib.suppress(OSError):
                if (
                    folder.is_dir()
                    and folder.stat().st_mtime < limit
                    and folder.name not in self._futures
                ):
                    shutil.rmtree(folder, ignore_errors=True)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
