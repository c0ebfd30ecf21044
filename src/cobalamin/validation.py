"""Turning pydantic validation errors into cobalamin's one-line input errors."""

from __future__ import annotations

from pydantic import ValidationError

from cobalamin.errors import InputError

__all__ = ["input_error_from"]


def _path(prefix: str, loc: tuple[int | str, ...]) -> str:
    text = prefix
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not part.startswith(("function-", "union[")):
            text += f".{part}" if text else part
    return text


def input_error_from(
    exc: ValidationError, prefix: str, *, allowed_fields: tuple[str, ...] = ()
) -> InputError:
    """The first problem of a validation error as an InputError naming the field."""
    first = exc.errors(include_url=False)[0]
    field = _path(prefix, first["loc"]) or prefix
    if first["type"] == "extra_forbidden":
        return InputError(field, "unknown field", ", ".join(allowed_fields))
    message = first["msg"].removeprefix("Value error, ")
    allowed = ""
    if message.endswith(")") and " (allowed: " in message:
        message, allowed = message[:-1].split(" (allowed: ", 1)
    return InputError(field, message, allowed)
