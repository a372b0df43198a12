"""Closed loop: every recommendation shown (exposures) and the reports' headline figures.

Revision ID: 0008_outcomes
Revises: 0007_similar
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_outcomes"
down_revision = "0007_similar"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "exposures",
        sa.Column("id", BigId, nullable=False),
        sa.Column("shown_at", sa.DateTime, nullable=False),
        sa.Column("customer_id", sa.Integer, nullable=False),
        sa.Column("product_id", sa.Integer, nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("surface", sa.String(16), nullable=False),
        sa.Column("model_version_id", sa.Integer),
        sa.Column("slack_user_id", sa.String(32)),
        sa.Column("rep_id", sa.Integer),
        sa.Column("held_out", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_exposures"),
    )
    op.create_index(
        "ix_exposures_customer_product_shown",
        "exposures",
        ["customer_id", "product_id", "shown_at"],
    )
    op.create_index("ix_exposures_shown_at", "exposures", ["shown_at"])
    op.create_table(
        "outcome_reports",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("since", sa.DateTime, nullable=False),
        sa.Column("until", sa.DateTime, nullable=False),
        sa.Column("window_days", sa.Integer, nullable=False),
        sa.Column("figures", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outcome_reports"),
    )


def downgrade() -> None:
    op.drop_table("outcome_reports")
    op.drop_index("ix_exposures_shown_at", table_name="exposures")
    op.drop_index("ix_exposures_customer_product_shown", table_name="exposures")
    op.drop_table("exposures")
