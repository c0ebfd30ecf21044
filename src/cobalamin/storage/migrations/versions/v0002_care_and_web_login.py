"""Treatment plans and doses given, web sessions, and single sign-on links on users.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN and CREATE INDEX: SQLite changes the table in place, no copy of users.
    op.add_column("users", sa.Column("sso_issuer", sa.String(300), nullable=True))
    op.add_column("users", sa.Column("sso_subject", sa.String(300), nullable=True))
    op.create_index("ix_users_sso", "users", ["sso_issuer", "sso_subject"], unique=True)
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_web_sessions"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_web_sessions_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    op.create_table(
        "plans",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("patient_id", sa.String(32), nullable=False),
        sa.Column("regimen", sa.String(100), nullable=False),
        sa.Column("route", sa.String(10), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("schedule", sa.JSON(), nullable=False),
        sa.Column("followup", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_plans"),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name="fk_plans_patient_id_patients", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_plans_patient_id", "plans", ["patient_id"])
    op.create_table(
        "doses",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("patient_id", sa.String(32), nullable=False),
        sa.Column("plan_id", sa.String(32), nullable=True),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("dose_ug", sa.Float(), nullable=False),
        sa.Column("route", sa.String(10), nullable=False),
        sa.Column("form", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_doses"),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name="fk_doses_patient_id_patients", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name="fk_doses_plan_id_plans", ondelete="SET NULL"
        ),
    )
    op.create_index("ix_doses_patient_id", "doses", ["patient_id"])
    op.create_index("ix_doses_plan_id", "doses", ["plan_id"])


def downgrade() -> None:
    for table in ("doses", "plans", "web_sessions"):
        op.drop_table(table)
    op.drop_index("ix_users_sso", table_name="users")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("sso_subject")
        batch.drop_column("sso_issuer")
