"""The engine version that stored and exchanged results cite next to the pack's sha256."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["ENGINE_VERSION", "provenance"]

try:
    ENGINE_VERSION = version("cobalamin")
except PackageNotFoundError:  # running from a source tree that was never installed
    ENGINE_VERSION = "0+unknown"


def provenance(pack_id: str, pack_sha256: str) -> str:
    """One line naming the engine and the exact pack: ``cobalamin 0.1.0; pack id sha256:...``."""
    return f"cobalamin {ENGINE_VERSION}; pack {pack_id} sha256:{pack_sha256}"
