"""Acknowledged writes per second of the records server, side by side on SQLite and
PostgreSQL, through a real uvicorn process on loopback.

    python benchmarks/bench_records.py [--writes N] [--clients C] [--postgres ADMIN_URL]

For each database: a fresh database, one patient, then C clients posting N results in total
(``POST /api/v1/patients/{id}/results``: parse, assess under the pack, store, audit, commit),
then N timeline reads. Prints writes/s and reads/s per database and their ratios to SQLite; the
last line is JSON. SQLite commits with synchronous=FULL (an fsync per commit), so its figure is
bounded by the disk's flush time; PostgreSQL runs with its defaults (synchronous_commit=on).
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT / "tests" / "records"))

from records_server import Server  # noqa: E402

from cobalamin import default_knowledge  # noqa: E402
from cobalamin.storage.accounts import add_user, create_token  # noqa: E402
from cobalamin.storage.audit import Actor  # noqa: E402
from cobalamin.storage.database import make_engine, make_sessionmaker  # noqa: E402
from cobalamin.storage.migrate import upgrade  # noqa: E402
from cobalamin.storage.records import create_patient  # noqa: E402


def _prepare(url: str) -> tuple[str, str]:
    engine = make_engine(url)
    try:
        upgrade(engine)
        with make_sessionmaker(engine)() as session:
            user = add_user(session, "bench", "clinician", "a long enough bench password")
            token = create_token(session, "bench").token
            patient = create_patient(
                session,
                Actor.of(user, "cli"),
                {"identifier": "BENCH-1", "birth_date": "1970-01-01"},
                default_knowledge(),
                "nice-ng239",
            )
            session.commit()
            return token, patient.id
    finally:
        engine.dispose()


def _run(url: str, folder: Path, writes: int, clients: int) -> dict[str, float]:
    token, patient_id = _prepare(url)
    server = Server(url, folder, log_level="warning")
    server.start()
    headers = {"Authorization": f"Bearer {token}"}
    body = {
        "sample_date": "2025-01-01",
        "results": [
            {"test": "b12", "value": 150, "unit": "pmol/L"},
            {"test": "hb", "value": 120, "unit": "g/L"},
        ],
    }

    def burst(method: str, path: str, count: int) -> float:
        def client_loop(n: int) -> None:
            with httpx.Client(base_url=server.base, headers=headers, timeout=60) as client:
                for _ in range(n):
                    answer = client.request(method, path, json=body if method == "POST" else None)
                    if answer.is_error:
                        raise RuntimeError(f"{answer.status_code}: {answer.text[:300]}")

        share = [count // clients + (1 if i < count % clients else 0) for i in range(clients)]
        threads = [threading.Thread(target=client_loop, args=(n,)) for n in share]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return count / (time.perf_counter() - start)

    try:
        writes_per_s = burst("POST", f"/api/v1/patients/{patient_id}/results", writes)
        reads_per_s = burst("GET", f"/api/v1/patients/{patient_id}", writes)
    finally:
        server.stop()
    return {"writes_per_s": writes_per_s, "reads_per_s": reads_per_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=300)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        figures["sqlite"] = _run(
            f"sqlite:///{folder}/bench.sqlite3", Path(folder), args.writes, args.clients
        )
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        name = f"cobalamin_bench_{secrets.token_hex(4)}"
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
            figures["postgresql"] = _run(url, Path(folder), args.writes, args.clients)
        except Exception as exc:  # no server: report SQLite alone
            print(f"PostgreSQL skipped: {type(exc).__name__}", file=sys.stderr)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    base = figures["sqlite"]
    print(f"{'database':<12}{'writes/s':>10}{'ratio':>8}{'reads/s':>10}{'ratio':>8}")
    for db, found in figures.items():
        print(
            f"{db:<12}{found['writes_per_s']:>10.1f}"
            f"{found['writes_per_s'] / base['writes_per_s']:>8.2f}"
            f"{found['reads_per_s']:>10.1f}{found['reads_per_s'] / base['reads_per_s']:>8.2f}"
        )
    print(json.dumps({"writes": args.writes, "clients": args.clients, "figures": figures}))


if __name__ == "__main__":
    main()
