"""Scheduled jobs: exactly-once job runs, digest deliveries, reps' digest settings.

Revision ID: 0004_jobs
Revises: 0003_slack
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_jobs"
down_revision = "0003_slack"
branch_labels = None
depends_on = None

RUNNING = sa.text("status = 'running'")


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("job", sa.String(32), nullable=False),
        sa.Column("period", sa.String(48), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("heartbeat_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("outcome", sa.String(32)),
        sa.Column("detail", sa.Text),
        sa.Column("model_version_id", sa.Integer),
        sa.PrimaryKeyConstraint("id", name="pk_job_runs"),
        sa.UniqueConstraint("job", "period", name="uq_job_runs_job_period"),
    )
    op.create_index(
        "uq_job_runs_one_running",
        "job_runs",
        ["job"],
        unique=True,
        sqlite_where=RUNNING,
        postgresql_where=RUNNING,
    )
    op.create_index("ix_job_runs_job_started", "job_runs", ["job", "started_at"])
    op.create_table(
        "digest_deliveries",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("rep_id", sa.Integer, nullable=False),
        sa.Column("period", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("claimed_by", sa.String(128), nullable=False),
        sa.Column("claimed_at", sa.DateTime, nullable=False),
        sa.Column("channel", sa.String(32)),
        sa.Column("message_ts", sa.String(32)),
        sa.Column("accounts", sa.Integer),
        sa.Column("sent_at", sa.DateTime),
        sa.PrimaryKeyConstraint("id", name="pk_digest_deliveries"),
        sa.UniqueConstraint("rep_id", "period", name="uq_digest_deliveries_rep_period"),
        sa.ForeignKeyConstraint(
            ["rep_id"],
            ["sales_reps.id"],
            ondelete="CASCADE",
            name="fk_digest_deliveries_rep_id_sales_reps",
        ),
    )
    op.create_index("ix_digest_deliveries_period_status", "digest_deliveries", ["period", "status"])
    op.create_table(
        "rep_digest_settings",
        sa.Column("rep_id", sa.Integer, nullable=False),
        sa.Column("opted_out", sa.Boolean, nullable=False),
        sa.Column("slack_user_id", sa.String(32)),
        sa.Column("dm_channel", sa.String(32)),
        sa.Column("updated_at", sa.DateTime),
        sa.PrimaryKeyConstraint("rep_id", name="pk_rep_digest_settings"),
        sa.ForeignKeyConstraint(
            ["rep_id"],
            ["sales_reps.id"],
            ondelete="CASCADE",
            name="fk_rep_digest_settings_rep_id_sales_reps",
        ),
    )
    op.create_index(
        "ix_rep_digest_settings_slack_user_id", "rep_digest_settings", ["slack_user_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_rep_digest_settings_slack_user_id", table_name="rep_digest_settings")
    op.drop_table("rep_digest_settings")
    op.drop_index("ix_digest_deliveries_period_status", table_name="digest_deliveries")
    op.drop_table("digest_deliveries")
    op.drop_index("ix_job_runs_job_started", table_name="job_runs")
    op.drop_index("uq_job_runs_one_running", table_name="job_runs")
    op.drop_table("job_runs")
