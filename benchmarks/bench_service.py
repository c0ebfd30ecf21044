"""The real server under load: CDS Hooks ``patient-view``, ``/api/v1/assess`` and ``GET /health``
side by side, each driven by ``wrk`` on loopback for the same time.

    python benchmarks/bench_service.py [--seconds 60] [--connections 8] [--threads 1]

It starts ``cobalamin serve`` (one uvicorn process) in a temporary folder, with a CDS trust
file holding a fresh ES384 key (inline JWK Set) and closed calculators, so ``assess`` needs the
records bearer token made with ``cobalamin users add`` / ``tokens create``. Every CDS call
carries its own pre-signed JWT (fresh ``jti``: replay protection stays on), read by the wrk
Lua script from a file of tokens made before the run; a token used twice would be refused
(401) and counted as non-2xx. Target (issue 14): at least 200 requests/s with no error, and
p99 within 3x of /health's p99. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec

ISS = "https://ehr.bench"
PASSWORD = "bench password long enough"
CASE = {
    "person": {"age": 70, "sex": "female"},
    "results": [
        {"test": "b12", "value": 120, "unit": "pmol/L"},
        {"test": "hb", "value": 105, "unit": "g/L"},
    ],
}

LUA = r"""
-- one pre-signed JWT per request; each wrk thread takes every n-th token of the file
local tokens = {}
local counter = 1
local threads = {}
local id = 0

function setup(thread)
  thread:set("id", id)
  id = id + 1
  table.insert(threads, thread)
end

function init(args)
  local step = tonumber(args[2])
  local n = 0
  for line in io.lines(args[1]) do
    if n % step == id then table.insert(tokens, line) end
    n = n + 1
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  local f = io.open(args[3], "rb"); wrk.body = f:read("*a"); f:close()
end

function request()
  local token = tokens[counter] or "exhausted"
  counter = counter + 1
  wrk.headers["Authorization"] = "Bearer " .. token
  return wrk.format()
end
"""

DONE = r"""
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '@@{"requests": %d, "seconds": %f, "p50_ms": %f, "p99_ms": %f, "errors": %d, "non_2xx": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, e.connect + e.read + e.write + e.timeout, e.status))
end
"""

STATIC_LUA = r"""
function init(args)
  if args[1] then
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    wrk.headers["Authorization"] = "Bearer " .. args[1]
    local f = io.open(args[2], "rb"); wrk.body = f:read("*a"); f:close()
  end
end
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _cli(env: dict[str, str], *args: str, stdin: str = "") -> str:
    done = subprocess.run(
        [sys.executable, "-m", "cobalamin", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return done.stdout


def _cds_body() -> dict[str, Any]:
    from cobalamin import default_knowledge
    from cobalamin.interop.cds_hooks_prefetch import prefetch_templates

    knowledge = default_knowledge()
    keys = [t.key for t in prefetch_templates(knowledge.pack("nice-ng239"), knowledge)]
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"patientId": "p1", "userId": "Practitioner/1"},
        "prefetch": dict.fromkeys(keys) | {"patient": {"resourceType": "Patient", "id": "p1"}},
    }


def _wrk(
    url: str, seconds: int, connections: int, threads: int, script: Path, *args: str
) -> dict[str, Any]:
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
        "-s", str(script), url, "--", *args,
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next((x for x in out.splitlines() if x.startswith("@@")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    figures: dict[str, Any] = json.loads(line[2:])
    figures["rps"] = figures["requests"] / figures["seconds"]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--tokens-per-second", type=int, default=1500, help="JWTs made ahead")
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench_service: wrk is not installed (apt-get install wrk; scripts/setup.sh does)")

    folder = Path(tempfile.mkdtemp(prefix="cobalamin-bench-"))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    key = ec.generate_private_key(ec.SECP384R1())
    kid = "bench-es384"
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    trust = folder / "cds-trust.json"
    trust.write_text(json.dumps([{"iss": ISS, "jwks": {"keys": [jwk | {"kid": kid}]}}]))
    env = {**os.environ, "COBALAMIN_DATA_DIR": str(folder / "data")}
    db = f"sqlite:///{folder / 'data' / 'cobalamin.db'}"
    (folder / "data").mkdir()
    _cli(env, "users", "add", "bench", "--role", "clinician", "--db", db, stdin=PASSWORD + "\n")
    token = _cli(env, "tokens", "create", "bench", "--db", db).strip().splitlines()[-1]

    aud = f"{base}/cds-services/cobalamin-b12"
    count = options.seconds * options.tokens_per_second
    began = time.perf_counter()
    now = int(time.time())
    with (folder / "jwts.txt").open("w") as out:
        for _ in range(count):
            claims = {
                "iss": ISS,
                "aud": aud,
                "iat": now,
                "exp": now + 3600,
                "jti": uuid.uuid4().hex,
            }
            out.write(jwt.encode(claims, key, algorithm="ES384", headers={"kid": kid}) + "\n")
    signing = time.perf_counter() - began
    (folder / "cds.json").write_text(json.dumps(_cds_body()))
    (folder / "case.json").write_text(json.dumps(CASE))
    (folder / "tokens.lua").write_text(LUA + DONE)
    (folder / "static.lua").write_text(STATIC_LUA + DONE)

    log = (folder / "server.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable, "-m", "cobalamin", "serve", "--port", str(port),
            "--public-url", base, "--cds-trust", str(trust), "--db", db,
            "--data-dir", str(folder / "data"), "--closed-calculators",
        ],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"the server did not start; see {folder / 'server.log'}")
            time.sleep(0.3)
        # a warm-up call of each route, checked, so a broken route cannot look fast
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.post(f"{base}/api/v1/assess", json=CASE, headers=headers).status_code == 200
        warm = jwt.encode(
            {"iss": ISS, "aud": aud, "iat": now, "exp": now + 600, "jti": uuid.uuid4().hex},
            key,
            algorithm="ES384",
            headers={"kid": kid},
        )
        cds = httpx.post(aud, json=_cds_body(), headers={"Authorization": f"Bearer {warm}"})
        assert cds.status_code == 200, cds.text
        run = (options.seconds, options.connections, options.threads)
        rows = {
            "GET /health": _wrk(f"{base}/health", *run, folder / "static.lua"),
            "POST /api/v1/assess": _wrk(
                f"{base}/api/v1/assess", *run, folder / "static.lua", token,
                str(folder / "case.json"),
            ),
            "POST /cds-services (patient-view)": _wrk(
                aud, *run, folder / "tokens.lua", str(folder / "jwts.txt"),
                str(options.threads), str(folder / "cds.json"),
            ),
        }  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()

    floor = rows["GET /health"]["p99_ms"]
    print(
        f"cobalamin serve (1 uvicorn process) on loopback; wrk -t{options.threads} "
        f"-c{options.connections}, {options.seconds} s per route; {count} JWTs signed "
        f"ahead in {signing:.1f} s"
    )
    print(
        f"{'route':<36}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'non-2xx':>9}"
        f"{'p99/health':>12}"
    )
    for name, row in rows.items():
        row["p99_ratio"] = row["p99_ms"] / floor if floor else float("nan")
        print(
            f"{name:<36}{row['rps']:>9.0f}{row['p50_ms']:>9.2f}{row['p99_ms']:>9.2f}"
            f"{row['errors']:>8}{row['non_2xx']:>9}{row['p99_ratio']:>12.1f}"
        )
    targets = {
        name: row["rps"] >= 200
        and row["errors"] == 0
        and row["non_2xx"] == 0
        and row["p99_ratio"] <= 3
        for name, row in rows.items()
        if name != "GET /health"
    }
    print("target (>=200 req/s, no error, p99 <= 3x /health):", targets)
    print(json.dumps({"seconds": options.seconds, "rows": rows, "targets_met": targets}))


if __name__ == "__main__":
    main()
