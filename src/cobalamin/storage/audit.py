"""The audit trail: who did what, when, to which patient. Only inserts; never personal data.

An entry names the user (id and account name), how they came in (token, session, sso, cli),
the action, and the patient's internal id. ``detail`` holds counts, internal ids and field
names only: never an identifier, a name, a birth date or a token.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cobalamin.storage.models import AuditEntry, User

__all__ = ["Actor", "audit_entries", "record"]


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in user, or the command line (``user_id`` None)."""

    user_id: int | None
    user_name: str | None
    role: str
    via: str  # token | session | sso | cli

    @classmethod
    def of(cls, user: User, via: str) -> Actor:
        return cls(user.id, user.name, user.role, via)


def record(
    session: Session,
    actor: Actor,
    action: str,
    patient_id: str | None = None,
    **detail: Any,
) -> None:
    """Add one entry to the transaction; it commits (or not) with what it describes."""
    session.add(
        AuditEntry(
            user_id=actor.user_id,
            user_name=actor.user_name,
            via=actor.via,
            action=action,
            patient_id=patient_id,
            detail=detail or None,
        )
    )


def _entry(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "user": entry.user_name,
        "user_id": entry.user_id,
        "via": entry.via,
        "action": entry.action,
        "patient": entry.patient_id,
        "detail": entry.detail or {},
    }


def audit_entries(
    session: Session,
    *,
    patient_id: str | None = None,
    since: dt.datetime | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Entries oldest first, optionally for one patient or from a moment on."""
    query = select(AuditEntry).order_by(AuditEntry.id)
    if patient_id is not None:
        query = query.where(AuditEntry.patient_id == patient_id)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    return [_entry(e) for e in session.scalars(query.limit(limit))]
