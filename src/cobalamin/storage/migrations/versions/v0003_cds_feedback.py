"""CDS Hooks feedback on cards, kept with the records.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cds_feedback",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("service", sa.String(100), nullable=False),
        sa.Column("card", sa.String(100), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("outcome_timestamp", sa.String(40), nullable=False),
        sa.Column("accepted_suggestions", sa.JSON(), nullable=False),
        sa.Column("override_reason", sa.JSON(), nullable=True),
        sa.Column("user_comment", sa.String(2000), nullable=True),
        sa.Column("iss", sa.String(300), nullable=True),
        sa.Column("tenant", sa.String(300), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cds_feedback"),
        sa.UniqueConstraint(
            "service", "card", "outcome", "outcome_timestamp", name="uq_cds_feedback"
        ),
    )


def downgrade() -> None:
    op.drop_table("cds_feedback")
