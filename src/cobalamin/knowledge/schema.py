"""The JSON Schema of pack files, for editors (YAML language servers read it).

The loader remains the authority (it also checks references, gaps and overlaps); the schema
catches shape errors while a person types.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cobalamin.knowledge.facts import FactSpec
from cobalamin.knowledge.sources import KINDS

__all__ = ["pack_json_schema"]

_TEXT = {
    "type": "object",
    "required": ["en", "nl"],
    "additionalProperties": False,
    "properties": {
        "en": {"type": "string", "minLength": 1},
        "nl": {"type": "string", "minLength": 1},
    },
}
_CONDITION = {
    "description": "missing | present | true/false | a value | {in: [...]} | {lt|le|gt|ge: cutoff} | {any_of|none_of: [ids or group:name]}",
    "anyOf": [
        {"type": "string"},
        {"type": "boolean"},
        {"type": "integer"},
        {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": False,
            "properties": {
                **{op: {"type": "string"} for op in ("lt", "le", "gt", "ge")},
                **{
                    op: {"type": "array", "items": {"type": ["string", "integer"]}, "minItems": 1}
                    for op in ("in", "any_of", "none_of")
                },
            },
        },
    ],
}
_SOURCE_IDS = {
    "description": "a bibliography id (data/sources.yaml) or a list of ids, each listed under sources",
    "anyOf": [
        {"type": "string", "minLength": 1},
        {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
    ],
}
_LOCAL_SOURCE = {
    "description": "a site's own source, with the fields of a bibliography entry",
    "type": "object",
    "required": ["id", "title", "kind"],
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z0-9-]+$"},
        "title": {"type": "string"},
        "publisher": {"type": "string"},
        "authors": {"type": "array", "items": {"type": "string"}},
        "date": {"type": ["string", "integer"]},
        "year": {"type": "integer"},
        "journal": {"type": "string"},
        "url": {"type": "string"},
        "doi": {"type": "string"},
        "pmid": {"type": "integer"},
        "kind": {"enum": list(KINDS)},
        "language": {"type": "string"},
        "evidence": {"enum": ["VERIFIED", "SECONDARY", "UNVERIFIED"]},
        "url_checked": {"type": "boolean"},
        "unavailable_online": {"type": "string"},
        "based_on": {"type": "array", "items": {"type": "string"}},
        "note": {"type": "string"},
    },
    "additionalProperties": False,
}
_RULE = {
    "type": "object",
    "required": ["id"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z0-9_]+$"},
        "when": {"type": "object", "additionalProperties": _CONDITION},
        "set": {"type": "object", "additionalProperties": {"type": ["string", "boolean"]}},
        "next_tests": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["test", "reason"],
                "additionalProperties": False,
                "properties": {
                    "test": {"type": "string"},
                    "reflex": {"type": "boolean"},
                    "reason": _TEXT,
                },
            },
        },
        "alerts": {"type": "array", "items": {"type": "string"}},
        "finding": _TEXT,
        "source": _SOURCE_IDS,
        "statement": {"type": "string"},
    },
}


def pack_json_schema(facts: Mapping[str, FactSpec]) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) describing a pack YAML file (``facts``: the base facts)."""
    numeric_facts = sorted(n for n, s in facts.items() if s.kind == "number")
    cutoff = {
        "type": "object",
        "required": ["fact", "value", "unit", "source"],
        "additionalProperties": False,
        "properties": {
            "fact": {"enum": numeric_facts},
            "value": {"type": "number"},
            "unit": {"type": "string"},
            "source": _SOURCE_IDS,
            "statement": {"type": "string"},
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "cobalamin pack",
        "type": "object",
        "required": ["id", "title", "publisher", "date", "language", "description", "sources"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "pattern": "^[a-z0-9-]+$"},
            "title": {"anyOf": [{"type": "string"}, _TEXT]},
            "publisher": {"type": "string"},
            "date": {"type": ["string", "integer"]},
            "language": {"type": "string"},
            "status": {"enum": ["current", "superseded", "draft"]},
            "description": _TEXT,
            "extends": {"type": "string"},
            "sources": {
                "description": "the bibliography ids this pack cites, and any local source",
                "type": "array",
                "minItems": 1,
                "items": {"anyOf": [{"type": "string", "minLength": 1}, _LOCAL_SOURCE]},
            },
            "cutoffs": {"type": "object", "additionalProperties": cutoff},
            "override": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "cutoffs": {"type": "object", "additionalProperties": {"type": "object"}}
                },
            },
            "tables": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["id", "hit_policy", "rules"],
                    "additionalProperties": False,
                    "properties": {
                        "id": {"type": "string"},
                        "description": {"type": "string"},
                        "hit_policy": {"enum": ["unique", "first", "collect"]},
                        "outputs": {"type": "array", "items": {"type": "string"}},
                        "rules": {"type": "array", "minItems": 1, "items": _RULE},
                    },
                },
            },
        },
    }
