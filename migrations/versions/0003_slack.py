"""Slack: reps' feedback on recommendations, and case-insensitive customer lookup indexes.

Revision ID: 0003_slack
Revises: 0002_model
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_slack"
down_revision = "0002_model"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.Integer, nullable=False),
        sa.Column("product_id", sa.Integer, nullable=False),
        sa.Column("slack_user_id", sa.String(32), nullable=False),
        sa.Column("vote", sa.Integer, nullable=False),
        sa.Column("model_version_id", sa.Integer),
        sa.Column("created_at", sa.DateTime, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_feedback"),
        sa.UniqueConstraint(
            "customer_id", "product_id", "slack_user_id", name="uq_feedback_customer_product_user"
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            ondelete="CASCADE",
            name="fk_feedback_customer_id_customers",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            ondelete="CASCADE",
            name="fk_feedback_product_id_products",
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            ondelete="SET NULL",
            name="fk_feedback_model_version_id_model_versions",
        ),
    )
    op.create_index("ix_customers_lower_name", "customers", [sa.text("lower(name)")])
    op.create_index("ix_customers_lower_external_id", "customers", [sa.text("lower(external_id)")])


def downgrade() -> None:
    op.drop_index("ix_customers_lower_external_id", table_name="customers")
    op.drop_index("ix_customers_lower_name", table_name="customers")
    op.drop_table("feedback")
