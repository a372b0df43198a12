"""Similar products: each product's nearest neighbours under one model version, written when
the version is published, so `/recommend similar` and the substitute line are keyed reads.

Revision ID: 0007_similar
Revises: 0006_catalogue
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_similar"
down_revision = "0006_catalogue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "similar_products",
        sa.Column("model_version_id", sa.Integer, nullable=False),
        sa.Column("product_id", sa.Integer, nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("similar_product_id", sa.Integer, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint(
            "model_version_id", "product_id", "rank", name="pk_similar_products"
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            ondelete="CASCADE",
            name="fk_similar_products_model_version_id_model_versions",
        ),
    )


def downgrade() -> None:
    op.drop_table("similar_products")
