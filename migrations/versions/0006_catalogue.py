"""Catalogue status and business rules: products.status and availability dates, rules, the
rules version a server's cache checks, and customers' entitlements.

Revision ID: 0006_catalogue
Revises: 0005_sync
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_catalogue"
down_revision = "0005_sync"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Columns with a constant default: a plain ALTER TABLE on SQLite too, no table copy.
    with op.batch_alter_table("products") as batch:
        batch.add_column(
            sa.Column("status", sa.String(16), nullable=False, server_default="active")
        )
        batch.add_column(sa.Column("available_from", sa.Date))
        batch.add_column(sa.Column("available_until", sa.Date))
    op.create_table(
        "rules",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("value", sa.String(128), nullable=False),
        sa.Column("segment", sa.String(64)),
        sa.Column("multiplier", sa.Float),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_rules"),
        sa.UniqueConstraint("name", name="uq_rules_name"),
        sa.CheckConstraint("kind IN ('exclude', 'boost', 'promote')", name="ck_rules_kind"),
        sa.CheckConstraint("target IN ('product', 'category')", name="ck_rules_target"),
    )
    op.create_index("ix_rules_kind_target_value", "rules", ["kind", "target", "value"])
    version = op.create_table(
        "rules_version",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime),
        sa.PrimaryKeyConstraint("id", name="pk_rules_version"),
    )
    op.bulk_insert(version, [{"id": 1, "version": 0, "updated_at": None}])
    op.create_table(
        "entitlements",
        sa.Column("id", BigId, nullable=False),
        sa.Column("customer_id", sa.Integer, nullable=False),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("value", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_entitlements"),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            ondelete="CASCADE",
            name="fk_entitlements_customer_id_customers",
        ),
        sa.UniqueConstraint(
            "customer_id", "target", "value", name="uq_entitlements_customer_target_value"
        ),
        sa.CheckConstraint("target IN ('product', 'category')", name="ck_entitlements_target"),
    )


def downgrade() -> None:
    op.drop_table("entitlements")
    op.drop_table("rules_version")
    op.drop_index("ix_rules_kind_target_value", table_name="rules")
    op.drop_table("rules")
    with op.batch_alter_table("products") as batch:
        batch.drop_column("available_until")
        batch.drop_column("available_from")
        batch.drop_column("status")
