"""The alert catalogue: stable codes with a level, texts and their sources (data/alerts.yaml).

Sources are bibliography ids; ``Knowledge.sources`` checks that each one exists."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from cobalamin.datafiles import load_model
from cobalamin.knowledge.model import Text

__all__ = ["AlertCatalogue", "AlertDefinition"]


class _Texts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    en: str = Field(min_length=1)
    nl: str = Field(min_length=1)


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    level: Literal["info", "warning", "critical"]
    text: _Texts
    source: str | list[str]
    statement: str | None = None

    @property
    def source_ids(self) -> tuple[str, ...]:
        return (self.source,) if isinstance(self.source, str) else tuple(self.source)


class _AlertFile(RootModel[dict[str, _Entry]]):
    pass


@dataclass(frozen=True)
class AlertDefinition:
    code: str
    level: Literal["info", "warning", "critical"]
    text: Text
    source_ids: tuple[str, ...]  # bibliography ids
    statement: str | None = None


class AlertCatalogue(Mapping[str, AlertDefinition]):
    """Every alert code by code."""

    def __init__(self, items: Mapping[str, AlertDefinition]) -> None:
        self._items = dict(items)

    @classmethod
    def load(cls, path: Path) -> AlertCatalogue:
        entries = load_model(path, _AlertFile).root
        return cls(
            {
                code: AlertDefinition(
                    code, e.level, Text(e.text.en, e.text.nl), e.source_ids, e.statement
                )
                for code, e in entries.items()
            }
        )

    def __getitem__(self, code: str) -> AlertDefinition:
        return self._items[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)
