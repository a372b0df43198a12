"""Model versions and the precomputed recommendations the Slack app reads.

Revision ID: 0002_model
Revises: 0001_foundation
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_model"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("arch", sa.String(32), nullable=False),
        sa.Column("started_at", sa.DateTime, server_default=sa.func.now(), nullable=False),
        sa.Column("trained_at", sa.DateTime),
        sa.Column("promoted_at", sa.DateTime),
        sa.Column("data_from", sa.DateTime),
        sa.Column("data_to", sa.DateTime),
        sa.Column("n_rows", sa.BigInteger),
        sa.Column("n_customers", sa.Integer),
        sa.Column("n_products", sa.Integer),
        sa.Column("hyperparams", sa.JSON),
        sa.Column("metrics", sa.JSON),
        sa.Column("reason", sa.Text),
        sa.Column("artifact", sa.LargeBinary),
        sa.PrimaryKeyConstraint("id", name="pk_model_versions"),
    )
    op.create_index("ix_model_versions_status", "model_versions", ["status"])
    op.create_table(
        "recommendations",
        sa.Column("model_version_id", sa.Integer, nullable=False),
        sa.Column("customer_id", sa.Integer, nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("product_id", sa.Integer, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("reason", sa.String(256), nullable=False),
        sa.PrimaryKeyConstraint(
            "model_version_id", "customer_id", "mode", "rank", name="pk_recommendations"
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            ondelete="CASCADE",
            name="fk_recommendations_model_version_id_model_versions",
        ),
        # no FKs to customers/products: see db/models.py (bulk publish speed)
    )
    op.create_table(
        "cold_start_recommendations",
        sa.Column("model_version_id", sa.Integer, nullable=False),
        sa.Column("segment", sa.String(64), nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("product_id", sa.Integer, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("reason", sa.String(256), nullable=False),
        sa.PrimaryKeyConstraint(
            "model_version_id", "segment", "rank", name="pk_cold_start_recommendations"
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            ondelete="CASCADE",
            name="fk_cold_start_recommendations_model_version_id_model_versions",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            ondelete="CASCADE",
            name="fk_cold_start_recommendations_product_id_products",
        ),
    )


def downgrade() -> None:
    op.drop_table("cold_start_recommendations")
    op.drop_table("recommendations")
    op.drop_index("ix_model_versions_status", table_name="model_versions")
    op.drop_table("model_versions")
