"""The shared vocabulary (diet, sex, conditions, medications, symptoms) loaded from data."""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, ConfigDict

from cobalamin._data import data_path, read_yaml
from cobalamin._errors import InputError, KnowledgeError

__all__ = ["LISTS", "Term", "check_term", "group_members", "label", "terms"]

LISTS = ("diet", "sex", "conditions", "medications", "symptoms")


class Term(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    en: str
    nl: str
    groups: tuple[str, ...] = ()
    source: str | None = None


@cache
def _vocabulary() -> dict[str, dict[str, Term]]:
    path = data_path("vocabulary.yaml")
    raw = read_yaml(path)
    missing = [name for name in LISTS if name not in raw]
    if missing:
        raise KnowledgeError(str(path), f"missing lists: {', '.join(missing)}")
    return {
        name: {key: Term.model_validate(val) for key, val in raw[name].items()} for name in LISTS
    }


def terms(list_name: str) -> dict[str, Term]:
    """All terms of one list (``diet``, ``conditions``, ...) by id."""
    return _vocabulary()[list_name]


def check_term(list_name: str, term: str, field: str) -> str:
    """The term itself if the list knows it, else an input error listing what is allowed."""
    if term not in terms(list_name):
        raise InputError(field, f"unknown {list_name} value {term!r}", ", ".join(terms(list_name)))
    return term


@cache
def group_members(list_name: str, group: str) -> frozenset[str]:
    """Ids of a list that belong to a group (e.g. neurological symptoms)."""
    return frozenset(k for k, t in terms(list_name).items() if group in t.groups)


def label(list_name: str, term: str, lang: str = "en") -> str:
    """The term's label in English or Dutch."""
    entry = terms(list_name)[term]
    return entry.nl if lang == "nl" else entry.en
