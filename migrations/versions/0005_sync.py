"""Sync from the team's own order database: line ids on transactions, sync runs and rejects.

Revision ID: 0005_sync
Revises: 0004_jobs
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_sync"
down_revision = "0004_jobs"
branch_labels = None
depends_on = None

HAS_LINE_ID = sa.text("line_id IS NOT NULL")
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Adding nullable columns is a plain ALTER TABLE on SQLite too: no table copy.
    with op.batch_alter_table("transactions") as batch:
        batch.add_column(sa.Column("source", sa.String(128)))
        batch.add_column(sa.Column("line_id", sa.String(128)))
    op.create_index(
        "uq_transactions_source_line_id",
        "transactions",
        ["source", "line_id"],
        unique=True,
        sqlite_where=HAS_LINE_ID,
        postgresql_where=HAS_LINE_ID,
    )
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("source", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("since", sa.DateTime),
        sa.Column("watermark", sa.DateTime),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("rows_read", sa.BigInteger, nullable=False),
        sa.Column("rows_added", sa.BigInteger, nullable=False),
        sa.Column("rows_updated", sa.BigInteger, nullable=False),
        sa.Column("rows_removed", sa.BigInteger, nullable=False),
        sa.Column("rows_rejected", sa.BigInteger, nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("job_run_id", sa.Integer),
        sa.PrimaryKeyConstraint("id", name="pk_sync_runs"),
    )
    op.create_index("ix_sync_runs_source_status", "sync_runs", ["source", "status", "id"])
    op.create_table(
        "sync_rejects",
        sa.Column("id", BigId, nullable=False),
        sa.Column("sync_run_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("label", sa.String(256), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sync_rejects"),
        sa.ForeignKeyConstraint(
            ["sync_run_id"],
            ["sync_runs.id"],
            ondelete="CASCADE",
            name="fk_sync_rejects_sync_run_id_sync_runs",
        ),
    )
    op.create_index("ix_sync_rejects_sync_run_id", "sync_rejects", ["sync_run_id"])


def downgrade() -> None:
    op.drop_index("ix_sync_rejects_sync_run_id", table_name="sync_rejects")
    op.drop_table("sync_rejects")
    op.drop_index("ix_sync_runs_source_status", table_name="sync_runs")
    op.drop_table("sync_runs")
    op.drop_index("uq_transactions_source_line_id", table_name="transactions")
    with op.batch_alter_table("transactions") as batch:
        batch.drop_column("line_id")
        batch.drop_column("source")
