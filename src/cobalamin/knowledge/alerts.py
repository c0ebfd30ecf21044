"""The alert catalogue: stable codes with a level, texts and a source (data/alerts.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from cobalamin._data import data_path, read_yaml
from cobalamin._errors import KnowledgeError
from cobalamin.knowledge.model import Text

__all__ = ["AlertDefinition", "alert_catalogue"]


@dataclass(frozen=True)
class AlertDefinition:
    code: str
    level: Literal["info", "warning", "critical"]
    text: Text
    source: str


@cache
def alert_catalogue() -> dict[str, AlertDefinition]:
    """Every alert code by code."""
    path = data_path("alerts.yaml")
    raw = read_yaml(path) or {}
    result = {}
    for code, entry in raw.items():
        try:
            level = entry["level"]
            if level not in ("info", "warning", "critical"):
                raise KnowledgeError(f"{path}: {code}.level", "must be info, warning or critical")
            text = Text(entry["text"]["en"], entry["text"]["nl"])
            result[code] = AlertDefinition(code, level, text, entry["source"])
        except (KeyError, TypeError) as exc:
            raise KnowledgeError(
                f"{path}: {code}", f"needs level, text.en, text.nl, source ({exc})"
            ) from None
    return result
