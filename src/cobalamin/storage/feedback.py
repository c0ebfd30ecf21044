"""CDS Hooks feedback stored with the records (the ``FeedbackStore`` of
``cobalamin.interop.cds_hooks_feedback``, on the records database)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from cobalamin.interop.cds_hooks_feedback import FeedbackItem
from cobalamin.storage.models import CdsFeedback

__all__ = ["DatabaseFeedbackStore"]


class DatabaseFeedbackStore:
    """Feedback in the ``cds_feedback`` table; the same outcome sent twice is kept once."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def add(self, items: list[FeedbackItem]) -> None:
        for item in items:  # one transaction each: a repeat must not undo the others
            with self.sessions() as session:
                session.add(
                    CdsFeedback(
                        service=item.service,
                        card=item.card,
                        outcome=item.outcome,
                        outcome_timestamp=item.outcome_timestamp,
                        accepted_suggestions=list(item.accepted_suggestions),
                        override_reason=item.override_reason,
                        user_comment=item.user_comment,
                        iss=item.iss,
                        tenant=item.tenant,
                    )
                )
                try:
                    session.commit()
                except IntegrityError:
                    session.rollback()

    def stored(self, service: str | None = None) -> list[FeedbackItem]:
        query = select(CdsFeedback).order_by(CdsFeedback.id)
        if service is not None:
            query = query.where(CdsFeedback.service == service)
        with self.sessions() as session:
            rows = session.scalars(query).all()
            return [
                FeedbackItem(
                    service=r.service,
                    card=r.card,
                    outcome=r.outcome,
                    outcome_timestamp=r.outcome_timestamp,
                    accepted_suggestions=tuple(r.accepted_suggestions),
                    override_reason=r.override_reason,
                    user_comment=r.user_comment,
                    iss=r.iss,
                    tenant=r.tenant,
                )
                for r in rows
            ]
