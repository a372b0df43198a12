"""The unique key of a transaction's (source, line_id) leads with the line id.

Every lookup and upsert by this key gives both columns, so their order does not change what the
index answers; line ids are nearly all distinct while a store holds a handful of sources, and
comparing the line id first makes building the index (a first sync's bulk load builds it at
the end) a third faster on PostgreSQL (bench/RESULTS.md).

Revision ID: 0009_line_id_first
Revises: 0008_outcomes
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_line_id_first"
down_revision = "0008_outcomes"
branch_labels = None
depends_on = None

HAS_LINE_ID = sa.text("line_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index("uq_transactions_source_line_id", table_name="transactions")
    op.create_index(
        "uq_transactions_line_id_source",
        "transactions",
        ["line_id", "source"],
        unique=True,
        sqlite_where=HAS_LINE_ID,
        postgresql_where=HAS_LINE_ID,
    )


def downgrade() -> None:
    op.drop_index("uq_transactions_line_id_source", table_name="transactions")
    op.create_index(
        "uq_transactions_source_line_id",
        "transactions",
        ["source", "line_id"],
        unique=True,
        sqlite_where=HAS_LINE_ID,
        postgresql_where=HAS_LINE_ID,
    )
