"""Every human-language text of cobalamin's own (labels, headings, notes), in English and
Dutch, from ``data/texts.yaml``; the render layer and services take their words from here."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cobalamin.errors import KnowledgeError
from cobalamin.knowledge.model import Text
from cobalamin.knowledge.sources import fast_yaml_document

__all__ = ["LANGUAGES", "Texts"]

LANGUAGES = ("en", "nl")


class Texts:
    """Texts by dotted key (``verdict.likely``); ``{name}`` placeholders are filled on use."""

    def __init__(self, items: Mapping[str, Text]) -> None:
        self._items = dict(items)

    @classmethod
    def load(cls, path: Path) -> Texts:
        document = fast_yaml_document(path)
        items: dict[str, Text] = {}

        def walk(node: Any, key: str) -> None:
            if isinstance(node, dict) and set(node) == set(LANGUAGES):
                for lang in LANGUAGES:
                    if not isinstance(node[lang], str):
                        raise document.error(f"{key}.{lang}", "must be a text")
                items[key] = Text(node["en"], node["nl"])
            elif isinstance(node, dict):
                for name, child in node.items():
                    walk(child, f"{key}.{name}" if key else str(name))
            else:
                raise document.error(key, "must have an English (en) and a Dutch (nl) text")

        walk(document.data or {}, "")
        return cls(items)

    def text(self, key: str) -> Text:
        found = self._items.get(key)
        if found is None:
            raise KnowledgeError("texts.yaml", f"no text {key!r}")
        return found

    def get(self, key: str, lang: str, **values: Any) -> str:
        """The text in ``lang`` with its placeholders filled."""
        template = self.text(key).get(lang)
        return template.format(**values) if values else template

    def keys(self) -> list[str]:
        return list(self._items)
