"""The one cached default ``Knowledge`` (package data, plus ``COBALAMIN_PACK_PATH``), used only
by the public facade (``cobalamin.assess`` and friends) and the command line."""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from cobalamin.knowledge.registry import Knowledge

__all__ = ["default_knowledge", "knowledge_for", "site_folders"]


def site_folders(given: Sequence[Path] = ()) -> tuple[Path, ...]:
    """Folders with site packs: those given, then ``COBALAMIN_PACK_PATH`` (``os.pathsep``)."""
    env = os.environ.get("COBALAMIN_PACK_PATH", "")
    return tuple(Path(p) for p in given) + tuple(Path(p) for p in env.split(os.pathsep) if p)


@cache
def _cached(folders: tuple[Path, ...]) -> Knowledge:
    return Knowledge(folders)


def default_knowledge() -> Knowledge:
    """The package's knowledge plus the folders in ``COBALAMIN_PACK_PATH``, loaded once."""
    return _cached(site_folders())


def knowledge_for(pack_path: Sequence[Path] | None) -> Knowledge:
    """Knowledge with these site folders (and ``COBALAMIN_PACK_PATH``)."""
    return _cached(site_folders(pack_path or ()))
