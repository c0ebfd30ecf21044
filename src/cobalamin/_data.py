"""Locating and reading the YAML data files shipped in ``cobalamin/data``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from cobalamin._errors import KnowledgeError

__all__ = ["data_path", "read_yaml"]


def data_path(*parts: str) -> Path:
    """Path of a file or folder inside the package's ``data`` folder."""
    return Path(str(resources.files("cobalamin").joinpath("data", *parts)))


def read_yaml(path: Path) -> Any:
    """Parse one YAML file; a syntax error names the file, line and column."""
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{path}, line {mark.line + 1}, col {mark.column + 1}" if mark else str(path)
        raise KnowledgeError(where, f"YAML syntax: {exc.problem}") from None
    except OSError as exc:
        raise KnowledgeError(str(path), f"cannot read: {exc.strerror}") from None
