"""Foundation: customers, products, transactions, sales reps and their accounts.

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("segment", sa.String(64)),
        sa.Column("region", sa.String(64)),
        sa.Column("created_at", sa.DateTime, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_customers"),
        sa.UniqueConstraint("external_id", name="uq_customers_external_id"),
    )
    op.create_table(
        "products",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("category", sa.String(128)),
        sa.Column("created_at", sa.DateTime, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_products"),
        sa.UniqueConstraint("external_id", name="uq_products_external_id"),
    )
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("filename", sa.String(512), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("rows_imported", sa.BigInteger, nullable=False),
        sa.Column("rows_rejected", sa.BigInteger, nullable=False),
        sa.Column("imported_at", sa.DateTime, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_import_batches"),
        sa.UniqueConstraint("kind", "sha256", name="uq_import_batches_kind_sha256"),
    )
    op.create_table(
        "transactions",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("customer_id", sa.Integer, nullable=False),
        sa.Column("product_id", sa.Integer, nullable=False),
        sa.Column("quantity", sa.Float, nullable=False),
        sa.Column("amount", sa.Float),
        sa.Column("occurred_at", sa.DateTime, nullable=False),
        sa.Column("batch_id", sa.Integer),
        sa.PrimaryKeyConstraint("id", name="pk_transactions"),
    )
    op.create_index(
        "ix_transactions_customer_occurred", "transactions", ["customer_id", "occurred_at"]
    )
    op.create_index(
        "ix_transactions_occurred", "transactions", ["occurred_at"], postgresql_using="brin"
    )
    op.create_table(
        "sales_reps",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(256), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("slack_user_id", sa.String(32)),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sales_reps"),
        sa.UniqueConstraint("email", name="uq_sales_reps_email"),
        sa.UniqueConstraint("slack_user_id", name="uq_sales_reps_slack_user_id"),
    )
    op.create_table(
        "rep_assignments",
        sa.Column("rep_id", sa.Integer, nullable=False),
        sa.Column("customer_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("rep_id", "customer_id", name="pk_rep_assignments"),
        sa.ForeignKeyConstraint(
            ["rep_id"],
            ["sales_reps.id"],
            ondelete="CASCADE",
            name="fk_rep_assignments_rep_id_sales_reps",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            ondelete="CASCADE",
            name="fk_rep_assignments_customer_id_customers",
        ),
    )
    op.create_index("ix_rep_assignments_customer", "rep_assignments", ["customer_id"])


def downgrade() -> None:
    op.drop_table("rep_assignments")
    op.drop_table("sales_reps")
    op.drop_index("ix_transactions_occurred", table_name="transactions")
    op.drop_index("ix_transactions_customer_occurred", table_name="transactions")
    op.drop_table("transactions")
    op.drop_table("import_batches")
    op.drop_table("products")
    op.drop_table("customers")
