"""Contract fuzzing of the whole OpenAPI with schemathesis (every check), the long pass.

    python benchmarks/fuzz_openapi.py [--max-examples 200] [--workers 1]

Starts ``cobalamin serve`` on loopback in a temporary folder (an admin user and its records
bearer token, sent with every request), runs ``st run --checks all`` over
``/openapi.json`` and prints schemathesis' report; exits with its code (0: no server error, no
response outside its documented schema). ``tests/fuzz/test_openapi_contract.py`` runs a short
pass through the same ``contract_run``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

PASSWORD = "contract fuzz password long enough"

# Checks schemathesis has that cannot apply here, each with why (the rest all run):
EXCLUDED_CHECKS: dict[str, str] = {
    # The calculators are open to anyone: a request without the token is rightly answered, so
    # "ignored_auth" would flag every open route whose schema lists no security requirement
    # only because the token header is sent globally.
    "ignored_auth": "open calculators take requests without a token by design",
    # The case, plan and patient bodies are read by the command line's own parsers, whose
    # rules (units per test, dates, ranges, which fields go together) are not in the JSON
    # schema (it says "a case"); a schema-valid body may well be refused with 422 naming the
    # field, which is the documented answer. Schema-invalid bodies (negative_data_rejection)
    # must still be refused, and every answer must still match its documented schema.
    "positive_data_acceptance": "bodies are validated by the CLI's parsers, answered 422",
}


@dataclass
class Running:
    base: str
    token: str
    folder: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _cli(env: dict[str, str], *args: str, stdin: str = "") -> str:
    return subprocess.run(
        [sys.executable, "-m", "cobalamin", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[Running]:
    """``cobalamin serve`` on a free loopback port, with an admin token."""
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    db = f"sqlite:///{data / 'cobalamin.db'}"
    env = {**os.environ, "COBALAMIN_DATA_DIR": str(data)}
    # fuzzing sends many bad requests: the per-address limits would turn them all into 429
    env |= {"COBALAMIN_LOGIN_ATTEMPTS": "1000000", "COBALAMIN_TOKEN_FAILURES": "1000000"}
    _cli(env, "users", "add", "fuzz", "--role", "admin", "--db", db, stdin=PASSWORD + "\n")
    token = _cli(env, "tokens", "create", "fuzz", "--db", db).strip().splitlines()[-1]
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = (folder / "server.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable, "-m", "cobalamin", "serve", "--port", str(port), "--db", db,
            "--data-dir", str(data), "--public-url", base,
        ],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"the server did not start; see {folder / 'server.log'}")
            time.sleep(0.3)
        yield Running(base, token, folder)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def contract_run(
    running: Running, max_examples: int, workers: int = 1, seed: int | None = None
) -> subprocess.CompletedProcess[str]:
    """schemathesis over the server's OpenAPI with every check (but the excluded ones)."""
    command = [
        str(Path(sys.executable).with_name("st")), "run", f"{running.base}/openapi.json",
        "--checks", "all", "--exclude-checks", ",".join(EXCLUDED_CHECKS),
        "-H", f"Authorization: Bearer {running.token}",
        "--max-examples", str(max_examples), "--workers", str(workers),
        "--continue-on-failure", "--no-color",
    ]  # fmt: skip
    if seed is not None:
        command += ["--seed", str(seed)]
    return subprocess.run(command, capture_output=True, text=True, cwd=running.folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1)
    options = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="cobalamin-fuzz-") as scratch,
        serve(Path(scratch)) as running,
    ):
        began = time.perf_counter()
        done = contract_run(running, options.max_examples, options.workers)
        took = time.perf_counter() - began
    print(done.stdout[-20000:])
    print(done.stderr[-2000:], file=sys.stderr)
    print(f"schemathesis --checks all, {options.max_examples} examples per operation: "
          f"exit {done.returncode} in {took:.0f} s")  # fmt: skip
    sys.exit(done.returncode)


if __name__ == "__main__":
    main()
