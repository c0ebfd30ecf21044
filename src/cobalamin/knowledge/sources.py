"""The bibliography (``data/sources.yaml``): every document a rule, cut-off, alert, regimen,
follow-up step, code or constant rests on, under a stable id.

Data files cite by id (``source: nice-ng239`` or a list of ids); every loader refuses an id the
bibliography does not hold, naming the file, line and field. A site pack may add its own local
sources (a laboratory's validation report) inline; they use the same fields. Entries of kind
``cobalamin-convention`` are cobalamin's own choices where no source gives a number or rule, and
are always cited as such.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from cobalamin.datafiles import YamlDocument, read_yaml_document

__all__ = [
    "CITATION_KEYS",
    "CONVENTION",
    "KINDS",
    "Bibliography",
    "LeftOut",
    "LeftOutFile",
    "Reference",
    "check_citations",
    "cite",
    "fast_yaml_document",
    "reference_from",
    "source_ids",
    "unknown_source",
]

KINDS = (
    "guideline",
    "review",
    "paper",
    "patient-information",
    "lab-catalogue",
    "reference-data",
    "standard",
    "cobalamin-convention",
)
CONVENTION = "cobalamin-convention"
Kind = Literal[
    "guideline",
    "review",
    "paper",
    "patient-information",
    "lab-catalogue",
    "reference-data",
    "standard",
    "cobalamin-convention",
]
# The keys under which data files cite the bibliography.
CITATION_KEYS = frozenset({"source", "based_on"})
_AUTHORS_SHOWN = 3


class Reference(BaseModel):
    """One document (or one of cobalamin's conventions) a citation can point to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    title: str
    publisher: str | None = None
    authors: tuple[str, ...] = ()
    date: str | None = None
    year: int | None = None
    journal: str | None = None
    url: str | None = None
    doi: str | None = None
    pmid: int | None = None
    kind: Kind
    language: str | None = None
    evidence: Literal["VERIFIED", "SECONDARY", "UNVERIFIED"] | None = None
    url_checked: bool = True
    unavailable_online: str | None = None
    based_on: tuple[str, ...] = ()
    note: str | None = None
    local: bool = False  # a site's own source, written in its pack file

    @field_validator("date", mode="before")
    @classmethod
    def _date_text(cls, value: Any) -> Any:
        return value.isoformat() if isinstance(value, dt.date) else value

    @model_validator(mode="after")
    def _complete(self) -> Reference:
        if not (self.publisher or self.authors or self.journal or self.url):
            raise ValueError("give a publisher or authors (or, for a paper, the journal)")
        if self.kind == CONVENTION:
            if self.evidence is not None:
                raise ValueError("a cobalamin convention has no evidence label")
            if not self.note:
                raise ValueError("a cobalamin convention must say what it decides (note)")
        else:
            if self.evidence is None:
                raise ValueError("give evidence: VERIFIED, SECONDARY or UNVERIFIED")
            if not (self.url or self.doi or self.journal or self.unavailable_online):
                raise ValueError(
                    "give a url or doi (or a journal citation, or unavailable_online saying "
                    "where the document can be found)"
                )
        return self

    @property
    def convention(self) -> bool:
        return self.kind == CONVENTION

    @property
    def link(self) -> str | None:
        """Where a reader finds it: the url, else the DOI resolver address."""
        if self.url:
            return self.url
        return f"https://doi.org/{self.doi}" if self.doi else None

    @property
    def published(self) -> int | None:
        """The year of publication, when known."""
        if self.year is not None:
            return self.year
        head = (self.date or "")[:4]
        return int(head) if head.isdigit() else None

    def who(self) -> str:
        if self.authors:
            shown = ", ".join(self.authors[:_AUTHORS_SHOWN])
            return shown + (" et al." if len(self.authors) > _AUTHORS_SHOWN else "")
        return self.publisher or self.journal or ""

    def citation(self) -> str:
        """A citation a reader can look up: who, year, title, journal, and where."""
        if self.convention:
            return f"cobalamin convention: {self.title}"
        year = self.published
        who = self.who()
        parts = [f"{who} ({year})." if year else f"{who}."] if who else []
        parts.append(f"{self.title}.")
        if self.journal and (self.publisher or self.authors):
            parts.append(f"{self.journal}.")
        where = self.link or self.unavailable_online
        if where:
            parts.append(where)
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "publisher": self.publisher,
            "authors": list(self.authors),
            "year": self.published,
            "date": self.date,
            "journal": self.journal,
            "url": self.url,
            "doi": self.doi,
            "kind": self.kind,
            "evidence": self.evidence,
            "based_on": list(self.based_on),
            "note": self.note,
            "local": self.local,
            "citation": self.citation(),
        }


def cite(references: Iterable[Reference]) -> str:
    """Readable citations, each with its address, joined with semicolons."""
    return "; ".join(r.citation() for r in references)


def source_ids(raw: Any) -> tuple[str, ...] | None:
    """The ids of a ``source`` field (one id or a list of ids), or None when malformed."""
    if isinstance(raw, str) and raw:
        return (raw,)
    if isinstance(raw, list) and raw and all(isinstance(i, str) and i for i in raw):
        return tuple(dict.fromkeys(raw))
    return None


def fast_yaml_document(path: Path) -> YamlDocument:
    """A YAML file with its node tree, read with libyaml when available (the bibliography is
    read on every assessment; the pure-Python reader is several times slower)."""
    loader_class = getattr(yaml, "CSafeLoader", None)
    if loader_class is None:  # pragma: no cover - PyYAML built without libyaml
        return read_yaml_document(path)
    try:
        text = path.read_text(encoding="utf-8")
        loader = loader_class(text)
        try:
            node = loader.get_single_node()
            data = None if node is None else loader.construct_document(node)
        finally:
            loader.dispose()
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return read_yaml_document(path)  # the careful reader says exactly what is wrong
    return YamlDocument(str(path), data, node)


def reference_from(
    raw: Any,
    key: str,
    error: Callable[[str, str], Exception],
    where: str,
    *,
    local: bool = False,
) -> Reference:
    """One entry as a Reference; a problem is ``error(field, message)`` (file, line, field)."""
    if not isinstance(raw, dict):
        raise error(where, "must be a mapping with title, publisher or authors, date, kind, url")
    try:
        return Reference.model_validate({**raw, "id": key, "local": local})
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = ".".join(str(p) for p in first["loc"] if p != "id")
        field = f"{where}.{loc}" if loc else where
        raise error(field, first["msg"].removeprefix("Value error, ")) from None


class Bibliography(Mapping[str, Reference]):
    """Every reference by id."""

    def __init__(self, items: Mapping[str, Reference], path: str = "sources.yaml") -> None:
        self._items = dict(items)
        self.path = path

    @classmethod
    def load(cls, path: Path) -> Bibliography:
        document = fast_yaml_document(path)
        if not isinstance(document.data, dict) or not document.data:
            raise document.error("", "the bibliography must map ids to references")
        items = {
            str(key): reference_from(entry, str(key), document.error, str(key))
            for key, entry in document.data.items()
        }
        for key, item in items.items():
            for index, other in enumerate(item.based_on):
                if other not in items:
                    raise document.error(f"{key}.based_on[{index}]", f"unknown source id {other!r}")
        return cls(items, str(path))

    def __getitem__(self, key: str) -> Reference:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def cite(self, ids: Sequence[str]) -> str:
        """Readable citations of these ids (each must be in the bibliography)."""
        return cite(self._items[i] for i in ids)


def check_citations(document: YamlDocument, bibliography: Mapping[str, Reference]) -> None:
    """Every ``source`` (and ``based_on``) in a data file names a bibliography id; the first
    that does not is an error with the file, line and field."""

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                here = f"{where}.{key}" if where else str(key)
                if key in CITATION_KEYS and not isinstance(value, dict):
                    ids = source_ids(value)
                    if ids is None:
                        raise document.error(here, "must be a source id or a list of source ids")
                    for index, item in enumerate(ids):
                        if item not in bibliography:
                            spot = here if len(ids) == 1 else f"{here}[{index}]"
                            raise document.error(spot, unknown_source(item))
                else:
                    walk(value, here)
        elif isinstance(node, list):
            for index, item in enumerate(node):
                name = item.get("id") if isinstance(item, dict) else None
                step = name if isinstance(name, str) else str(index)
                walk(item, f"{where}[{step}]")

    walk(document.data, "")


def unknown_source(source: str) -> str:
    return (
        f"unknown source id {source!r}: not in the bibliography (data/sources.yaml; "
        "'cobalamin sources' lists it)"
    )


class _Words(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    en: str
    nl: str

    def get(self, lang: str) -> str:
        return self.nl if lang == "nl" else self.en


class LeftOut(BaseModel):
    """Something no source read states: left out, or kept only as a labelled convention."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    topic: _Words
    decision: _Words
    source: list[str]

    def to_dict(self, key: str, lang: str = "en") -> dict[str, Any]:
        return {
            "id": key,
            "topic": self.topic.get(lang),
            "decision": self.decision.get(lang),
            "source_ids": list(self.source),
        }


class LeftOutFile(BaseModel):
    """``data/left_out.yaml``."""

    model_config = ConfigDict(frozen=True)
    items: dict[str, LeftOut]
