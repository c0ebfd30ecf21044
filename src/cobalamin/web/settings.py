"""The web server's settings: one frozen dataclass, filled from command-line options and the
environment (``COBALAMIN_*``). Later issues (records, EHR) add fields here."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cobalamin.errors import InputError

__all__ = ["DEFAULT_DATA_DIR", "RECENT_SIGN_IN_MINUTES", "Settings", "positive_number"]

DEFAULT_DATA_DIR = Path("cobalamin-data")
# cobalamin's own choice (docs/security.md): an admin's account changes need a sign-in of the
# last quarter of an hour (OWASP ASVS V3.7.1 asks for a recent authentication, names no time).
RECENT_SIGN_IN_MINUTES = 15.0

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise InputError(name, f"{raw!r} is not a yes/no value", "1, 0, true, false, yes, no")


_NUMBERS: dict[str, type[int] | type[float]] = {
    "max_body_bytes": int,
    "lab_max_upload_bytes": int,
    "site_pack_max_bytes": int,
    "request_timeout_seconds": float,
    "simulation_max_person_days": int,
    "login_attempts": int,
    "login_window_seconds": float,
    "token_failures": int,
    "token_failure_window_seconds": float,
    "recent_sign_in_minutes": float,
}


def positive_number(name: str, raw: str, kind: type[int] | type[float] = float) -> int | float:
    """``raw`` (the value of the variable ``name``) as a positive, finite number; else an
    InputError naming the variable."""
    try:
        value = kind(raw)
    except ValueError:
        raise InputError(name, f"{raw!r} is not a number", "a positive number") from None
    if not math.isfinite(value):
        raise InputError(name, f"{raw!r} is not a finite number", "a positive number")
    if value <= 0:
        raise InputError(name, f"{raw!r} is not positive", "a positive number")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything the web application needs to know about where it runs.

    ``open_calculators``: the stateless calculators (self-check, assess, compare, plan, model
    and their JSON API) need no login; False closes them to anyone the ``current_user`` hook
    does not recognise. ``lab_enabled``: the laboratory upload page (signed-in users only).
    """

    host: str = "127.0.0.1"
    port: int = 8000
    db_url: str = ""
    public_url: str = ""
    data_dir: Path = DEFAULT_DATA_DIR
    open_calculators: bool = True
    lab_enabled: bool = True  # behind login (records); --no-lab switches the pages off
    # Limits (cobalamin conventions, docs/security.md): a JSON, FHIR or CDS body of 2 MiB is
    # thousands of results; a lab file streams to disk up to 512 MiB; a site pack is a page of
    # YAML. A calculation answers within 30 s or gets 503 (the CLI is there for larger work).
    max_body_bytes: int = 2 * 1024 * 1024
    lab_max_upload_bytes: int = 512 * 1024 * 1024
    site_pack_max_bytes: int = 256 * 1024
    request_timeout_seconds: float = 30.0
    # A store-model request simulates at most this many person-days: about 15 s on the numpy
    # path (fewer than 20,000 people) on a 2-core machine, about 1 s on the compiled one.
    simulation_max_person_days: int = 100_000_000
    # Rate limits per client address (cobalamin conventions): sign-in attempts, and failed
    # bearer tokens or CDS JWTs, each in a sliding window.
    login_attempts: int = 10
    login_window_seconds: float = 60.0
    token_failures: int = 30
    token_failure_window_seconds: float = 60.0
    # Account changes on /admin/users need a sign-in of the last this many minutes.
    recent_sign_in_minutes: float = RECENT_SIGN_IN_MINUTES
    job_workers: int = 1
    job_ttl_seconds: int = 3600
    pack_path: tuple[Path, ...] = ()  # site pack folders besides $COBALAMIN_PACK_PATH
    cds_trust: Path | None = None  # CDS Hooks: trusted EHR issuers and their keys
    redis_url: str | None = None  # shared store of seen JWT ids when several workers run
    secret_key: str | None = None  # signs single-sign-on state; random per process if unset
    oidc_issuer: str | None = None  # single sign-on through a hospital's OpenID provider
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.db_url:
            object.__setattr__(self, "db_url", f"sqlite:///{self.data_dir / 'cobalamin.db'}")
        if not self.public_url:
            host = "localhost" if self.host in ("127.0.0.1", "0.0.0.0", "::") else self.host
            object.__setattr__(self, "public_url", f"http://{host}:{self.port}")
        if not 0 < self.port < 65536:
            raise InputError("--port", f"{self.port} is not a port", "1-65535")
        if not self.public_url.startswith(("http://", "https://")):
            raise InputError(
                "--public-url", f"{self.public_url!r} is not an address", "http(s)://..."
            )

    @property
    def https(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def site_pack_dir(self) -> Path:
        """Where site packs uploaded through the web are stored (a site folder)."""
        return self.data_dir / "packs"

    @property
    def jobs_dir(self) -> Path:
        return self.data_dir / "jobs"

    def with_options(self, **options: Any) -> Settings:
        """These settings with the options that were given (None means not given)."""
        return replace(self, **{k: v for k, v in options.items() if v is not None})

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **options: Any) -> Settings:
        """Settings from ``COBALAMIN_*`` variables, then the options given (they win)."""
        env = os.environ if env is None else env
        base: dict[str, Any] = {
            "db_url": env.get("COBALAMIN_DATABASE_URL", ""),
            "public_url": env.get("COBALAMIN_PUBLIC_URL", ""),
            "data_dir": Path(env.get("COBALAMIN_DATA_DIR") or DEFAULT_DATA_DIR),
            "open_calculators": _flag(env, "COBALAMIN_OPEN_CALCULATORS", True),
            "lab_enabled": _flag(env, "COBALAMIN_LAB_ENABLED", True),
            "cds_trust": Path(env["COBALAMIN_CDS_TRUST"])
            if env.get("COBALAMIN_CDS_TRUST")
            else None,
            "redis_url": env.get("COBALAMIN_REDIS_URL") or None,
        }
        for name, kind in _NUMBERS.items():
            raw = env.get("COBALAMIN_" + name.upper())
            if raw:
                base[name] = positive_number(f"COBALAMIN_{name.upper()}", raw, kind)
        base.update({k: v for k, v in options.items() if v is not None})
        return cls(**base)
