"""The one exception hierarchy of cobalamin.

    CobalaminError
    ├── InputError            bad input from a user: exit code 2, names the field
    │   └── UnitError         a unit that is unknown or cannot be converted for that test
    └── KnowledgeError        a data file (pack, catalogue, vocabulary) is invalid
        └── PackError         a pack file is invalid: names file, table, rule and field

Every error carries its fields as plain strings so that it pickles (batch workers on a
process pool report errors across process boundaries).
"""

from __future__ import annotations

__all__ = ["CobalaminError", "InputError", "KnowledgeError", "PackError", "UnitError"]


class CobalaminError(Exception):
    """Base of every error cobalamin raises on purpose."""


class InputError(CobalaminError):
    """Input that cannot be used. ``field`` names where, ``allowed`` says what would do."""

    def __init__(self, field: str, message: str, allowed: str = "") -> None:
        self.field = field
        self.message = message
        self.allowed = allowed
        text = f"{field}: {message}"
        if allowed:
            text += f" (allowed: {allowed})"
        super().__init__(text)

    def __reduce__(self) -> tuple[type, tuple[str, str, str]]:
        return (type(self), (self.field, self.message, self.allowed))


class UnitError(InputError):
    """A unit that is not known, or not convertible to the test's canonical unit."""


class KnowledgeError(CobalaminError):
    """A knowledge data file is invalid. ``where`` is the file (and location inside it)."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        return (type(self), (self.where, self.message))


class PackError(KnowledgeError):
    """A pack file is invalid; ``where`` names file, table, rule and field."""
