"""CDS Hooks 2.0 cards, suggestions, actions and links as JSON.

Spec rules kept here (CDS Hooks 2.0, "Card Attributes", "Use of JSON"):
- ``summary`` is a "one-sentence, <140-character summary message": ``fit_summary`` keeps it
  under 140 characters whatever the language and values;
- ``indicator`` is ``info``, ``warning`` or ``critical``; ``source.label`` is required;
- every card and suggestion has a ``uuid`` (feedback refers to them);
- "If suggestions are present, selectionBehavior MUST also be provided";
- an override reason is a Coding with a ``display``;
- optional members without a value are left out, never sent as null, "" or [].
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from cobalamin.interop.fhir_terms import BibliographyEntry, Indicator

__all__ = [
    "SUMMARY_LIMIT",
    "card",
    "create_action",
    "delete_action",
    "fit_summary",
    "link",
    "source",
    "suggestion",
]

SUMMARY_LIMIT = 140  # the summary must be shorter than this


def fit_summary(text: str) -> str:
    """The text as one line shorter than 140 characters, cut at a word with an ellipsis."""
    line = " ".join(text.split())
    if len(line) < SUMMARY_LIMIT:
        return line
    cut = line[: SUMMARY_LIMIT - 2].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def source(
    label: str, entry: BibliographyEntry | None = None, topic: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A card's source: our label, the bibliography entry's URL, and an optional topic Coding."""
    out: dict[str, Any] = {"label": label}
    if entry is not None and entry.url:
        out["url"] = entry.url
    if topic:
        out["topic"] = dict(topic)
    return out


def create_action(description: str, resource: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "create", "description": description, "resource": dict(resource)}


def delete_action(description: str, resource_id: str) -> dict[str, Any]:
    """Remove a draft order; ``resource_id`` is a relative reference (``MedicationRequest/1``)."""
    return {"type": "delete", "description": description, "resourceId": resource_id}


def suggestion(
    label: str, actions: Sequence[Mapping[str, Any]], *, recommended: bool = False
) -> dict[str, Any]:
    out: dict[str, Any] = {"label": label, "uuid": str(uuid.uuid4()), "actions": list(actions)}
    if recommended:
        out["isRecommended"] = True
    return out


def link(label: str, url: str) -> dict[str, Any]:
    return {"label": label, "url": url, "type": "absolute"}


def card(
    summary: str,
    indicator: Indicator,
    card_source: Mapping[str, Any],
    *,
    detail: str = "",
    suggestions: Sequence[Mapping[str, Any]] = (),
    links: Sequence[Mapping[str, Any]] = (),
    override_reasons: Sequence[Mapping[str, str]] = (),
    selection: str = "any",
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "summary": fit_summary(summary),
        "indicator": indicator,
        "source": dict(card_source),
    }
    if detail.strip():
        out["detail"] = detail.strip()
    if suggestions:
        out["suggestions"] = list(suggestions)
        out["selectionBehavior"] = selection
    if override_reasons:
        out["overrideReasons"] = list(override_reasons)
    if links:
        out["links"] = list(links)
    return out
