"""The shared vocabulary (diet, sex, conditions, medications, symptoms), from data.

Loaded once per ``Knowledge`` (``cobalamin.knowledge.registry``) from ``data/vocabulary.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from cobalamin.datafiles import load_model
from cobalamin.errors import InputError

__all__ = ["LISTS", "Term", "TermCode", "Vocabulary"]

LISTS = ("diet", "sex", "conditions", "medications", "symptoms")


class TermCode(BaseModel):
    """A code that stands for a term in another system (ATC, SNOMED CT, RxNorm), with the
    source it was verified in. Used to recognise medicines and conditions in FHIR resources."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    system: str
    code: str
    display: str
    source: str


class Term(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    en: str
    nl: str
    groups: tuple[str, ...] = ()
    source: str | None = None
    codes: tuple[TermCode, ...] = ()  # the term in other code systems (ATC, SNOMED CT, ...)
    spellings: tuple[str, ...] = ()  # other spellings input may use (HL7 codes, words)
    unknown: bool = False  # a spelling of "not known": read as missing, never a fact value


class _VocabularyFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    diet: dict[str, Term]
    sex: dict[str, Term]
    conditions: dict[str, Term]
    medications: dict[str, Term]
    symptoms: dict[str, Term]


class Vocabulary:
    """Every list of the vocabulary, by list name and id."""

    def __init__(self, lists: Mapping[str, Mapping[str, Term]]) -> None:
        self._lists = {
            name: {k: t for k, t in lists[name].items() if not t.unknown} for name in LISTS
        }
        self._unknown = {
            name: tuple(c for t in lists[name].values() if t.unknown for c in t.spellings)
            for name in LISTS
        }
        self._groups: dict[tuple[str, str], frozenset[str]] = {}
        # every spelling (id, labels, codes; lowercased) -> the id, or None for "not known"
        self._spellings: dict[str, dict[str, str | None]] = {}
        for name in LISTS:
            spellings: dict[str, str | None] = {}
            for key, term in lists[name].items():
                for spelling in (key, term.en, term.nl, *term.spellings):
                    spellings.setdefault(spelling.strip().lower(), None if term.unknown else key)
            self._spellings[name] = spellings

    @classmethod
    def load(cls, path: Path) -> Vocabulary:
        data = load_model(path, _VocabularyFile)
        return cls({name: getattr(data, name) for name in LISTS})

    def terms(self, list_name: str) -> dict[str, Term]:
        """All terms of one list (``diet``, ``conditions``, ...) by id."""
        return self._lists[list_name]

    def check(self, list_name: str, term: str, field: str) -> str:
        """The term itself if the list knows it, else an input error listing what is allowed."""
        if term not in self._lists[list_name]:
            allowed = ", ".join(self._lists[list_name])
            raise InputError(field, f"unknown {list_name} value {term!r}", allowed)
        return term

    def resolve(self, list_name: str, raw: str, field: str) -> str | None:
        """The id a spelling stands for (``V``, ``Vrouw`` and ``female`` are all ``female``),
        None for a spelling of "not known" (``U``, ``onbekend``) or empty text; anything else is
        an input error listing the ids."""
        word = raw.strip().lower()
        if not word:
            return None
        spellings = self._spellings[list_name]
        if word not in spellings:
            raise InputError(
                field, f"unknown {list_name} value {raw.strip()!r}", self.spelled(list_name)
            )
        return spellings[word]

    def spelled(self, list_name: str) -> str:
        """What ``resolve`` accepts, for error messages: ``female (F, V, ...), male (M, ...)``."""
        parts = []
        for key, term in self._lists[list_name].items():
            parts.append(f"{key} ({', '.join(term.spellings)})" if term.spellings else key)
        unknown = self._unknown[list_name]
        return ", ".join(parts) + (f"; not known: {', '.join(unknown)}" if unknown else "")

    def group_members(self, list_name: str, group: str) -> frozenset[str]:
        """Ids of a list that belong to a group (e.g. neurological symptoms)."""
        key = (list_name, group)
        if key not in self._groups:
            terms = self._lists[list_name]
            self._groups[key] = frozenset(k for k, t in terms.items() if group in t.groups)
        return self._groups[key]

    def label(self, list_name: str, term: str, lang: str = "en") -> str:
        """The term's label in English or Dutch."""
        entry = self._lists[list_name][term]
        return entry.nl if lang == "nl" else entry.en
