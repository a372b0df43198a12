"""The schema, as SQLAlchemy 2.0 typed models. Every change here needs an Alembic migration."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Deterministic constraint names so migrations work the same on SQLite (batch mode) and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL, but INTEGER on SQLite so the primary key stays the rowid alias.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(256))
    segment: Mapped[str | None] = mapped_column(String(64))
    region: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(256))
    category: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    # active, discontinued or out_of_stock; only an active product inside its availability
    # window (dates inclusive, either end open) is ever served (db/serving.py).
    status: Mapped[str] = mapped_column(String(16), server_default="active", default="active")
    available_from: Mapped[date | None] = mapped_column(Date)
    available_until: Mapped[date | None] = mapped_column(Date)


class ImportBatch(Base):
    """One imported file; its content hash makes re-importing the same file a no-op."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str] = mapped_column(String(64))
    rows_imported: Mapped[int] = mapped_column(BigInteger)
    rows_rejected: Mapped[int] = mapped_column(BigInteger, default=0)
    imported_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    __table_args__ = (UniqueConstraint("kind", "sha256", name="uq_import_batches_kind_sha256"),)


class Transaction(Base):
    """One purchase line. A negative quantity is a return and reduces the pair's totals.

    No foreign-key constraints on purpose: per-row referential checks made bulk loads four times
    slower (measured in bench/RESULTS.md). The importer, the only writer, resolves every
    customer and product id inside the same database transaction, and nothing deletes them.
    """

    __tablename__ = "transactions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[float] = mapped_column(Float)
    amount: Mapped[float | None] = mapped_column(Float)
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
    batch_id: Mapped[int | None] = mapped_column(Integer)
    # Where a line came from ("erp" for a sync source, "csv:FILE" or --source for an import) and
    # that source's own key for it. A line id seen again replaces its row instead of adding one.
    source: Mapped[str | None] = mapped_column(String(128))
    line_id: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (
        # Per-customer history and per-customer-per-period aggregation.
        Index("ix_transactions_customer_occurred", "customer_id", "occurred_at"),
        # Per-period aggregation: a BRIN index on PostgreSQL (rows arrive roughly in time order,
        # so it stays tiny and cheap to maintain during COPY); a B-tree elsewhere.
        Index("ix_transactions_occurred", "occurred_at", postgresql_using="brin"),
        # Partial: rows without a line id (the bulk CSV path) never touch it. The source leads:
        # a source's lines are one range of it (has_lines); line id first built a third faster
        # but left that a scan of the table (bench/RESULTS.md, "Sync", fourth pass).
        Index(
            "uq_transactions_source_line_id",
            "source",
            "line_id",
            unique=True,
            sqlite_where=text("line_id IS NOT NULL"),
            postgresql_where=text("line_id IS NOT NULL"),
        ),
    )


class SalesRep(Base):
    __tablename__ = "sales_reps"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(256), unique=True)
    name: Mapped[str] = mapped_column(String(256))
    slack_user_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    customers: Mapped[list[Customer]] = relationship(secondary="rep_assignments")


class RepAssignment(Base):
    __tablename__ = "rep_assignments"

    rep_id: Mapped[int] = mapped_column(
        ForeignKey("sales_reps.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )

    __table_args__ = (Index("ix_rep_assignments_customer", "customer_id"),)


class ModelVersion(Base):
    """One training run: its data window, settings, holdout metrics, artifact and fate.

    status is one of: training, live, candidate (passed the gate but not promoted), rejected,
    failed, retired. At most one row is live; the Slack side reads only the live one.
    """

    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    arch: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    trained_at: Mapped[datetime | None] = mapped_column(DateTime)
    promoted_at: Mapped[datetime | None] = mapped_column(DateTime)
    data_from: Mapped[datetime | None] = mapped_column(DateTime)
    data_to: Mapped[datetime | None] = mapped_column(DateTime)
    n_rows: Mapped[int | None] = mapped_column(BigInteger)
    n_customers: Mapped[int | None] = mapped_column(Integer)
    n_products: Mapped[int | None] = mapped_column(Integer)
    hyperparams: Mapped[dict | None] = mapped_column(JSON)
    metrics: Mapped[dict | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    artifact: Mapped[bytes | None] = mapped_column(LargeBinary)


class Recommendation(Base):
    """Precomputed top products of one customer under one model version and mode.

    mode is 'all' (may include reorders) or 'new' (never bought before). Serving is a keyed read:
    WHERE model_version_id = <live> AND customer_id = ? AND mode = ? ORDER BY rank.
    """

    __tablename__ = "recommendations"

    model_version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), primary_key=True
    )
    # No foreign keys to customers/products: a publish writes ~1M rows, and per-row FK triggers
    # doubled its time on PostgreSQL. The rows are derived from existing ids at write time.
    customer_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mode: Mapped[str] = mapped_column(String(8), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(256))


class ColdStartRecommendation(Base):
    """Popularity list for customers with no history; segment '' is the whole catalogue."""

    __tablename__ = "cold_start_recommendations"

    model_version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), primary_key=True
    )
    segment: Mapped[str] = mapped_column(String(64), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(256))


# --- Slack: feedback from reps, and indexes for customer lookup --------------------------------


class Feedback(Base):
    """A rep's 👍 (+1) or 👎 (-1) on one product for one customer; a 👎 hides it in answers.

    One row per (customer, product, Slack user): voting again replaces that user's vote.
    """

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    slack_user_id: Mapped[str] = mapped_column(String(32))
    vote: Mapped[int] = mapped_column(Integer)
    model_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_versions.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    __table_args__ = (
        UniqueConstraint(
            "customer_id",
            "product_id",
            "slack_user_id",
            name="uq_feedback_customer_product_user",
        ),
    )


# Case-insensitive exact lookups of `/recommend <name or id>` stay index reads.
Index("ix_customers_lower_name", func.lower(Customer.__table__.c.name))
Index("ix_customers_lower_external_id", func.lower(Customer.__table__.c.external_id))


# --- Scheduled jobs: exactly-once job runs, digest deliveries, reps' digest choices -----------


class JobRun(Base):
    """One run of a scheduled job. The database, not memory, decides who runs what:

    (job, period) is unique, so a second replica or a restart cannot start the same period
    again, and at most one row per job may be 'running' (a partial unique index), so two
    retrains never overlap. status: running, succeeded, failed, abandoned (its owner stopped
    heart-beating; the period may then be taken over).
    """

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(48))
    status: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str] = mapped_column(String(128))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    outcome: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
    model_version_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("job", "period", name="uq_job_runs_job_period"),
        Index(
            "uq_job_runs_one_running",
            "job",
            unique=True,
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
        Index("ix_job_runs_job_started", "job", "started_at"),
    )


class DigestDelivery(Base):
    """One rep's digest for one period (the digest's local wall-clock time, e.g. 2026-11-23T08:00).

    (rep_id, period) is unique: the row is inserted 'pending' before anything is sent, marked
    'sent' after Slack accepted the message, or 'failed' with the error (retried next run).
    """

    __tablename__ = "digest_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("sales_reps.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str] = mapped_column(String(128))
    claimed_at: Mapped[datetime] = mapped_column(DateTime)
    channel: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    accounts: Mapped[int | None] = mapped_column(Integer)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        UniqueConstraint("rep_id", "period", name="uq_digest_deliveries_rep_period"),
        Index("ix_digest_deliveries_period_status", "period", "status"),
    )


class RepDigestSetting(Base):
    """A rep's digest choice, and the Slack ids found for them (saves a lookup per week)."""

    __tablename__ = "rep_digest_settings"

    rep_id: Mapped[int] = mapped_column(
        ForeignKey("sales_reps.id", ondelete="CASCADE"), primary_key=True
    )
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    slack_user_id: Mapped[str | None] = mapped_column(String(32), index=True)
    dm_channel: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)


# --- Sync from the team's own order database: one row per run, and the rows it rejected ---------


class SyncRun(Base):
    """One `recbot sync` of one source. The latest succeeded run's watermark is where the next
    incremental run starts (minus the overlap window). status: succeeded or failed; a failed run
    wrote nothing else. job_run_id is the job_runs claim it ran under."""

    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16))  # full, incremental, since
    since: Mapped[datetime | None] = mapped_column(DateTime)
    watermark: Mapped[datetime | None] = mapped_column(DateTime)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    rows_read: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_added: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_updated: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_removed: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_rejected: Mapped[int] = mapped_column(BigInteger, default=0)
    detail: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    job_run_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_sync_runs_source_status", "source", "status", "id"),)


class SyncReject(Base):
    """A row a sync run rejected: which query (kind), the row's key (label) and why."""

    __tablename__ = "sync_rejects"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sync_run_id: Mapped[int] = mapped_column(
        ForeignKey("sync_runs.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(256))
    reason: Mapped[str] = mapped_column(Text)


# --- Catalogue rules: what may be served, applied at answer time (db/serving.py) ------------------

PRODUCT_STATUSES = ("active", "discontinued", "out_of_stock")
RULE_KINDS = ("exclude", "boost", "promote")
RULE_TARGETS = ("product", "category")


class Rule(Base):
    """A business rule over what is served. kind: exclude (never served; to one customer segment
    when segment is set), boost (score times multiplier), promote (may take a promotion slot).
    target says whether value is a product's external id or a category. The name is what a rep
    reads in the pick's reason ("promoted: spring campaign")."""

    __tablename__ = "rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(128))
    segment: Mapped[str | None] = mapped_column(String(64))
    multiplier: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    __table_args__ = (
        CheckConstraint("kind IN ('exclude', 'boost', 'promote')", name="kind"),
        CheckConstraint("target IN ('product', 'category')", name="target"),
        # The answer's exclusion test probes (kind, target, value) for each candidate row.
        Index("ix_rules_kind_target_value", "kind", "target", "value"),
    )


class RulesVersion(Base):
    """One row whose version goes up with every change to `rules`: a server process re-reads
    the rules only when the version it reads along with an answer differs from its cached one,
    so a rule added by the CLI in another process shows in the next answer."""

    __tablename__ = "rules_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)


class Entitlement(Base):
    """A product (by external id) or a category a customer may be offered (a contract or price
    list). A customer with any rows is served only what they allow; one without is unrestricted."""

    __tablename__ = "entitlements"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    __table_args__ = (
        CheckConstraint("target IN ('product', 'category')", name="target"),
        # Also the index the answer probes: (customer, 'product', external id) and
        # (customer, 'category', category).
        UniqueConstraint(
            "customer_id", "target", "value", name="uq_entitlements_customer_target_value"
        ),
    )


# --- Similar products: each product's neighbours under one model version -----------------------


class SimilarProduct(Base):
    """A product's rank-th most similar product under one model version, from the source the
    version's training judged better on its holdout (metrics['similar']['served']). Written with
    the version's recommendations; read by `/recommend similar` and the substitute line
    (db/similar.py). No foreign keys to products, as for recommendations: a publish writes
    products x 20 rows derived from existing ids."""

    __tablename__ = "similar_products"

    model_version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rank: Mapped[int] = mapped_column(Integer, primary_key=True)
    similar_product_id: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)


# --- Closed loop: what was shown, and the reports built from it --------------------------------


class Exposure(Base):
    """One product shown for one customer on one surface (an answer, a share, a digest line, App
    Home): what later purchases are attributed to (db/outcomes.py). Answers write theirs in
    batches off the request path (bot/exposure_log.py). A held-out account's digest lines are
    written with `held_out` set and never sent: the holdout arm of the uplift."""

    __tablename__ = "exposures"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shown_at: Mapped[datetime] = mapped_column(DateTime)
    # No foreign keys, as for recommendations: the server writes thousands of rows a second
    # under load, and a per-row check of four parents cost a quarter of /recommend's
    # throughput (bench/RESULTS.md); the ids come from rows just read.
    customer_id: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(Integer)
    rank: Mapped[int] = mapped_column(Integer)  # 1-based, within its section
    mode: Mapped[str] = mapped_column(String(16))  # reorder, new, fallback, cold
    surface: Mapped[str] = mapped_column(String(16))  # answer, share, digest, home
    model_version_id: Mapped[int | None] = mapped_column(Integer)
    slack_user_id: Mapped[str | None] = mapped_column(String(32))  # who saw it
    rep_id: Mapped[int | None] = mapped_column(Integer)
    held_out: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        # Attribution: a customer's purchases of a product after it was shown.
        Index("ix_exposures_customer_product_shown", "customer_id", "product_id", "shown_at"),
        Index("ix_exposures_shown_at", "shown_at"),
    )


class OutcomeReport(Base):
    """A `recbot report` run's headline figures (the App Home of an admin shows the latest)."""

    __tablename__ = "outcome_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    since: Mapped[datetime] = mapped_column(DateTime)
    until: Mapped[datetime] = mapped_column(DateTime)
    window_days: Mapped[int] = mapped_column(Integer)
    figures: Mapped[dict] = mapped_column(JSON)
