"""CDS Hooks feedback (``POST /cds-services/{id}/feedback``): parsed, checked and stored.

CDS Hooks 2.0, "Feedback": the body is ``{"feedback": [...]}``; each item has ``card`` (the
card's uuid), ``outcome`` (``accepted`` or ``overridden``), ``acceptedSuggestions`` (required
when accepted: ``[{"id": suggestion uuid}]``), an optional ``overrideReason`` (``reason``, a
Coding whose ``display`` clients may leave out, and ``userComment``) and ``outcomeTimestamp``.
"a CDS Service may receive feedback for the same card instance multiple times": storing is
idempotent on (service, card, outcome, outcomeTimestamp).

Storage is a small interface (``FeedbackStore``). ``SqliteFeedbackStore`` is the default: one
table in a SQLite file (or in memory). To keep feedback in the records database instead,
implement ``add`` and ``stored`` on its SQLAlchemy session (table ``cds_feedback`` with the columns
of ``FeedbackItem``, unique on service, card, outcome and outcome_timestamp) and pass it to
``install_ehr(feedback_store=...)``. Stored: the service, the card and suggestion ids, the
outcome, the override reason and comment, the client's ``iss`` and ``tenant``, and when it
was received. No token and no patient data.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from cobalamin.errors import InputError

__all__ = ["FeedbackItem", "FeedbackStore", "SqliteFeedbackStore", "parse_feedback"]

OUTCOMES = ("accepted", "overridden")


@dataclass(frozen=True)
class FeedbackItem:
    service: str
    card: str
    outcome: str
    outcome_timestamp: str
    accepted_suggestions: tuple[str, ...] = ()
    override_reason: dict[str, Any] | None = None
    user_comment: str | None = None
    iss: str | None = None
    tenant: str | None = None


def _timestamp(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise InputError(where, "is required: an ISO 8601 date and time")
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(where, f"{value!r} is not an ISO 8601 date and time") from None
    return value


def parse_feedback(
    service: str, body: Any, *, iss: str | None = None, tenant: str | None = None
) -> list[FeedbackItem]:
    """The feedback items of a request body; ``InputError`` names the bad field."""
    if not isinstance(body, Mapping) or not isinstance(body.get("feedback"), list):
        raise InputError("feedback", 'the body must be {"feedback": [...]}')
    items: list[FeedbackItem] = []
    for index, raw in enumerate(body["feedback"]):
        where = f"feedback[{index}]"
        if not isinstance(raw, Mapping):
            raise InputError(where, "must be an object")
        card = raw.get("card")
        if not isinstance(card, str) or not card:
            raise InputError(f"{where}.card", "the card's uuid is required")
        outcome = raw.get("outcome")
        if outcome not in OUTCOMES:
            raise InputError(
                f"{where}.outcome", f"{outcome!r} is not an outcome", ", ".join(OUTCOMES)
            )
        accepted = raw.get("acceptedSuggestions") or []
        if not isinstance(accepted, list) or not all(
            isinstance(a, Mapping) and isinstance(a.get("id"), str) for a in accepted
        ):
            raise InputError(f"{where}.acceptedSuggestions", 'must be a list of {"id": uuid}')
        if outcome == "accepted" and not accepted:
            raise InputError(f"{where}.acceptedSuggestions", "is required when accepted")
        reason = raw.get("overrideReason")
        if reason is not None and not isinstance(reason, Mapping):
            raise InputError(f"{where}.overrideReason", "must be an object")
        coding = (reason or {}).get("reason")
        comment = (reason or {}).get("userComment")
        items.append(
            FeedbackItem(
                service=service,
                card=card,
                outcome=str(outcome),
                outcome_timestamp=_timestamp(
                    raw.get("outcomeTimestamp"), f"{where}.outcomeTimestamp"
                ),
                accepted_suggestions=tuple(str(a["id"]) for a in accepted),
                override_reason=dict(coding) if isinstance(coding, Mapping) else None,
                user_comment=comment if isinstance(comment, str) else None,
                iss=iss,
                tenant=tenant,
            )
        )
    return items


class FeedbackStore(Protocol):
    def add(self, items: list[FeedbackItem]) -> None:
        """Store items; an item already stored (same service, card, outcome, time) is kept once."""
        ...

    def stored(self, service: str | None = None) -> list[FeedbackItem]: ...


class SqliteFeedbackStore:
    """Feedback in one SQLite table (``:memory:`` by default)."""

    def __init__(self, path: str = ":memory:") -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False)
        with self._db:
            self._db.execute(
                """CREATE TABLE IF NOT EXISTS cds_feedback (
                    service TEXT NOT NULL, card TEXT NOT NULL, outcome TEXT NOT NULL,
                    outcome_timestamp TEXT NOT NULL, accepted_suggestions TEXT NOT NULL,
                    override_reason TEXT, user_comment TEXT, iss TEXT, tenant TEXT,
                    received_at TEXT NOT NULL,
                    UNIQUE (service, card, outcome, outcome_timestamp))"""
            )

    def add(self, items: list[FeedbackItem]) -> None:
        received = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        rows = [
            (
                i.service, i.card, i.outcome, i.outcome_timestamp,
                json.dumps(list(i.accepted_suggestions)),
                None if i.override_reason is None else json.dumps(i.override_reason),
                i.user_comment, i.iss, i.tenant, received,
            )
            for i in items
        ]  # fmt: skip
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR IGNORE INTO cds_feedback VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
            )

    def stored(self, service: str | None = None) -> list[FeedbackItem]:
        query = "SELECT service, card, outcome, outcome_timestamp, accepted_suggestions, " \
            "override_reason, user_comment, iss, tenant FROM cds_feedback"  # fmt: skip
        args: tuple[str, ...] = ()
        if service is not None:
            query += " WHERE service = ?"
            args = (service,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY rowid", args).fetchall()
        return [
            FeedbackItem(
                service=r[0], card=r[1], outcome=r[2], outcome_timestamp=r[3],
                accepted_suggestions=tuple(json.loads(r[4])),
                override_reason=None if r[5] is None else json.loads(r[5]),
                user_comment=r[6], iss=r[7], tenant=r[8],
            )
            for r in rows
        ]  # fmt: skip
