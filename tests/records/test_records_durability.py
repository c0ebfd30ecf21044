"""An acknowledged write survives ``kill -9`` of the server: a real uvicorn process is killed
with SIGKILL in the middle of a stream of writes, restarted, and every write it answered 201
to is there. On SQLite (WAL, synchronous=FULL) and on PostgreSQL."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest
from records_server import Server

from cobalamin import default_knowledge
from cobalamin.storage.accounts import add_user, create_token
from cobalamin.storage.audit import Actor
from cobalamin.storage.database import make_engine, make_sessionmaker
from cobalamin.storage.migrate import upgrade
from cobalamin.storage.records import create_patient

WRITERS = 4
KILL_AFTER = 60  # acknowledged writes before the kill
MAX_SECONDS = 60  # the stream stops by itself whatever happens


def _prepare(db_url: str) -> tuple[str, str]:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        with make_sessionmaker(engine)() as session:
            user = add_user(session, "writer", "lab", "a long enough test password")
            token = create_token(session, "writer").token
            patient = create_patient(
                session,
                Actor.of(user, "cli"),
                {"identifier": "MRN-KILL", "birth_date": "1980-01-01"},
                default_knowledge(),
                "nice-ng239",
            )
            session.commit()
            return token, patient.id
    finally:
        engine.dispose()


@pytest.mark.slow
def test_acknowledged_writes_survive_sigkill(db_url: str, tmp_path: Path) -> None:
    token, patient_id = _prepare(db_url)
    server = Server(db_url, tmp_path)
    server.start()
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    started = time.monotonic()

    def write(worker: int) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.base, headers=headers, timeout=10) as client:
            number = 0
            while not stop.is_set() and time.monotonic() - started < MAX_SECONDS:
                number += 1
                body = {
                    "sample_date": "2025-01-01",
                    "results": [
                        {"test": "b12", "value": 100 + worker * 1000 + number, "unit": "pmol/L"}
                    ],
                }
                try:
                    answer = client.post(f"/api/v1/patients/{patient_id}/results", json=body)
                except httpx.HTTPError:
                    return  # the server is gone: this write was never acknowledged
                if answer.status_code == 201:
                    with lock:
                        acknowledged.append(answer.json()["sample_id"])

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    try:
        for thread in threads:
            thread.start()
        while time.monotonic() - started < MAX_SECONDS:
            with lock:
                if len(acknowledged) >= KILL_AFTER:
                    break
            time.sleep(0.01)
        server.kill()  # while the writers are still sending
        for thread in threads:
            thread.join(timeout=30)
        stop.set()
        assert len(acknowledged) >= KILL_AFTER, "the stream was too slow to test anything"
        server.start()
        exported = httpx.get(
            f"{server.base}/api/v1/patients/{patient_id}/export",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert exported.status_code == 403  # the lab role may not export; read the database
        engine = make_engine(db_url)
        try:
            from sqlalchemy import select

            from cobalamin.storage.models import Sample, StoredAssessment

            with make_sessionmaker(engine)() as session:
                stored = set(session.scalars(select(Sample.id)))
                assessed = set(session.scalars(select(StoredAssessment.sample_id)))
        finally:
            engine.dispose()
        missing = set(acknowledged) - stored
        assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged writes lost"
        assert set(acknowledged) <= assessed
        # and the restarted server takes writes again
        again = httpx.post(
            f"{server.base}/api/v1/patients/{patient_id}/results",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            json={
                "sample_date": "2025-01-02",
                "results": [{"test": "b12", "value": 150, "unit": "pmol/L"}],
            },
        )
        assert again.status_code == 201
    finally:
        stop.set()
        server.stop()
