"""What every command shares: reading JSON input, output formats, errors and exit codes.

Exit codes (the contract): 0 done, 2 bad input (one line on stderr naming the field), 1 internal
error (one line on stderr, never a traceback).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer

from cobalamin.errors import CobalaminError, InputError, KnowledgeError

__all__ = [
    "Format",
    "Lang",
    "PackPathOption",
    "handle_errors",
    "print_json",
    "read_json_input",
]

P = ParamSpec("P")
R = TypeVar("R")


class Format(StrEnum):
    text = "text"
    json = "json"


class Lang(StrEnum):
    en = "en"
    nl = "nl"


PackPathOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--pack-path",
        help="Folder with site packs, found by their id whatever the file name "
        "(repeatable; also $COBALAMIN_PACK_PATH).",
    ),
]


def read_json_input(path: Path | None, *, what: str = "input") -> Any:
    """JSON from a file, or from stdin when the path is None or '-'."""
    if path is None or str(path) == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise InputError(what, "no input: give a JSON file or pipe JSON on stdin")
        text = sys.stdin.read()
        source = "stdin"
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(what, f"cannot read {path}: {exc.strerror}") from None
        source = str(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            what, f"{source} is not valid JSON: {exc.msg} at line {exc.lineno}"
        ) from None


def print_json(data: Any) -> None:
    """Machine-readable output on stdout."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def _fail(code: int, message: str) -> typer.Exit:
    sys.stderr.write(f"error: {message}\n")
    return typer.Exit(code)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn cobalamin's errors into exit codes and one-line messages, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            raise _fail(2, str(exc)) from None
        except KnowledgeError as exc:
            raise _fail(2, str(exc)) from None
        except CobalaminError as exc:
            raise _fail(1, str(exc)) from None
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except Exception as exc:  # a bug: say so in one line, keep the traceback out
            raise _fail(1, f"internal error ({type(exc).__name__}): {exc}") from None

    return wrapper
