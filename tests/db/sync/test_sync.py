"""`recbot sync` from a fake ERP in MariaDB into SQLite and PostgreSQL: full and incremental runs,
late, corrected and cancelled lines, runs twice, bad rows, and a source that fails mid-run."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from db.models import (
    Customer,
    Product,
    RepAssignment,
    SalesRep,
    SyncReject,
    SyncRun,
    Transaction,
)
from db.sync.apply import SyncRejected, sync_source
from db.sync.config import Source, load_sources
from db.sync.runs import last_watermark
from tests.db.sync.erp import TRANSACTIONS, Erp, when

# Every test runs with each reader of the transactions query (tests/db/sync/fixtures.py).
pytestmark = pytest.mark.usefixtures("reader")


def source(erp: Erp, folder: Path, **options) -> Source:
    [loaded] = load_sources(erp.sources_file(folder, **options), environ={})
    return loaded


def stored(engine: Engine) -> dict[str, tuple]:
    """line id -> (customer, product, quantity, amount, occurred_at) of the synced rows."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Transaction.line_id,
                Customer.external_id,
                Product.external_id,
                Transaction.quantity,
                Transaction.amount,
                Transaction.occurred_at,
            )
            .join(Customer, Customer.id == Transaction.customer_id)
            .join(Product, Product.id == Transaction.product_id)
            .where(Transaction.source == "erp")
        ).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def watermark(engine: Engine) -> datetime | None:
    with engine.connect() as conn:
        return last_watermark(conn, "erp")


def three_lines(erp: Erp) -> None:
    erp.order(100, "A1", "2026-01-05 10:00:00")
    erp.order(101, "A2", "2026-01-06 11:30:00")
    erp.line(100, 1, "S1", 2, "2026-03-01 10:00:00", price=5.5)
    erp.line(100, 2, "S2", 1, "2026-03-01 10:00:00")
    erp.line(101, 1, "S1", 3, "2026-03-01 09:00:00", price=5.5)


FIRST = {
    "100-1": ("A1", "S1", 2.0, 11.0, datetime(2026, 1, 5, 10)),
    "100-2": ("A1", "S2", 1.0, 2.5, datetime(2026, 1, 5, 10)),
    "101-1": ("A2", "S1", 3.0, 16.5, datetime(2026, 1, 6, 11, 30)),
}


def test_first_sync_reads_everything_under_the_sources_own_names(
    engine: Engine, erp: Erp, tmp_path: Path
) -> None:
    three_lines(erp)

    report = sync_source(engine, source(erp, tmp_path))

    assert (report.mode, report.rows_read, report.rows_added, report.rows_rejected) == (
        "full",
        3,
        3,
        0,
    )
    assert report.watermark == when("2026-03-01 10:00:00")
    assert stored(engine) == FIRST
    with engine.connect() as conn:
        customers = conn.execute(
            select(Customer.external_id, Customer.name, Customer.segment, Customer.region)
        ).all()
        assert sorted(map(tuple, customers)) == [
            ("A1", "Acme Foods", "restaurant", "north"),
            ("A2", "Bluebird Inn", "hotel", "south"),
        ]
        categories = dict(conn.execute(select(Product.external_id, Product.category)).all())
        assert categories == {"S1": "drinks", "S2": "supplies", "S3": "tableware"}
        run = conn.execute(
            select(SyncRun.status, SyncRun.mode, SyncRun.rows_added, SyncRun.watermark)
        ).one()
        assert tuple(run) == (
            "succeeded",
            "full",
            3,
            when("2026-03-01 10:00:00"),
        )
    assert watermark(engine) == when("2026-03-01 10:00:00")


def test_incremental_sync_reads_new_lines_and_lines_inside_the_overlap_only(
    engine: Engine, erp: Erp, tmp_path: Path
) -> None:
    three_lines(erp)
    sync_source(engine, source(erp, tmp_path))
    erp.order(102, "A2", "2026-03-02 08:00:00")
    erp.line(102, 1, "S3", 4, "2026-03-02 08:05:00")
    erp.line(102, 2, "S2", 1, "2026-02-27 12:00:00")  # a late line: inside the 3-day overlap
    erp.line(102, 3, "S1", 1, "2026-02-20 12:00:00")  # older than the overlap: not read

    report = sync_source(engine, source(erp, tmp_path), overlap=timedelta(days=3))

    assert report.mode == "incremental"
    assert report.since == when("2026-02-26 10:00:00")  # last watermark minus the overlap
    # the three earlier lines (inside the overlap too) are read again and left unchanged
    assert (report.rows_read, report.rows_added, report.rows_updated) == (5, 2, 0)
    assert report.rows_unchanged == 3
    assert set(stored(engine)) == {"100-1", "100-2", "101-1", "102-1", "102-2"}
    assert watermark(engine) == when("2026-03-02 08:05:00")


def test_a_corrected_line_replaces_its_row_and_the_totals(
    engine: Engine, erp: Erp, tmp_path: Path
) -> None:
    three_lines(erp)
    sync_source(engine, source(erp, tmp_path))
    erp.change(100, 1, "2026-03-03 09:00:00", qty=5)

    report = sync_source(engine, source(erp, tmp_path))

    assert (report.rows_added, report.rows_updated) == (0, 1)
    assert stored(engine)["100-1"] == ("A1", "S1", 5.0, 27.5, datetime(2026, 1, 5, 10))
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Transaction)) == 3
        assert conn.scalar(select(func.sum(Transaction.quantity))) == 9.0


def test_a_cancelled_line_is_removed_by_its_flag_or_a_zero_quantity(
    engine: Engine, erp: Erp, tmp_path: Path
) -> None:
    three_lines(erp)
    sync_source(engine, source(erp, tmp_path))
    erp.change(100, 2, "2026-03-03 09:00:00", status="X")  # the ERP's cancelled flag
    erp.change(101, 1, "2026-03-03 09:00:00", qty=0)  # or a quantity set to zero

    report = sync_source(engine, source(erp, tmp_path))

    assert (report.rows_removed, report.rows_rejected) == (2, 0)
    assert set(stored(engine)) == {"100-1"}


def test_the_same_sync_twice_adds_nothing(engine: Engine, erp: Erp, tmp_path: Path) -> None:
    three_lines(erp)
    sync_source(engine, source(erp, tmp_path))

    again = sync_source(engine, source(erp, tmp_path))
    full_again = sync_source(engine, source(erp, tmp_path), full=True)

    for report in (again, full_again):
        assert (report.rows_read, report.rows_added, report.rows_updated) == (3, 0, 0)
        assert report.rows_unchanged == 3
    assert stored(engine) == FIRST
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Customer)) == 2


def test_since_reads_from_the_given_date(engine: Engine, erp: Erp, tmp_path: Path) -> None:
    three_lines(erp)

    report = sync_source(engine, source(erp, tmp_path), since=when("2026-03-01 09:30:00"))

    assert (report.mode, report.rows_read) == ("since", 2)
    assert set(stored(engine)) == {"100-1", "100-2"}


def test_a_query_may_place_since_itself(engine: Engine, erp: Erp, tmp_path: Path) -> None:
    three_lines(erp)
    query = TRANSACTIONS + "WHERE ol.changed_at >= :since"
    sync_source(engine, source(erp, tmp_path, transactions=query))  # a full run binds the epoch
    erp.line(101, 2, "S3", 1, "2026-03-09 09:00:00")

    report = sync_source(engine, source(erp, tmp_path, transactions=query))

    assert (report.rows_read, report.rows_added) == (4, 1)  # 3 inside the overlap, 1 new


def test_a_bad_row_aborts_the_run_and_keeps_the_watermark(
    engine: Engine, erp: Erp, tmp_path: Path
) -> None:
    three_lines(erp)
    sync_source(engine, source(erp, tmp_path))
    erp.order(102, "A1", "2026-03-04 08:00:00")
    erp.line(102, 1, "S3", 4, "2026-03-04 08:05:00")
    erp.order(103, "A2", "2099-01-01 00:00:00")  # a date in the future
    erp.line(103, 1, "S1", 1, "2026-03-04 08:05:00")

    with pytest.raises(SyncRejected) as caught:
        sync_source(engine, source(erp, tmp_path))

    [reject] = caught.value.report.rejects
    assert (reject.kind, reject.label) == ("transactions", "103-1")
    assert reject.reason == "date '2099-01-01 00:00:00' is in the future"
    assert "skip_invalid: true" in str(caught.value)
    assert set(stored(engine)) == set(FIRST)  # 102-1 was not written either
    assert watermark(engine) == when("2026-03-01 10:00:00")
    with engine.connect() as conn:
        failed = conn.execute(
            select(SyncRun.id, SyncRun.rows_rejected, SyncRun.error).where(
                SyncRun.status == "failed"
            )
        ).one()
        assert failed.rows_rejected == 1 and "1 rows are invalid" in failed.error
        labels = conn.execute(
            select(SyncReject.label).where(SyncReject.sync_run_id == failed.id)
        ).scalars()
        assert list(labels) == ["103-1"]


def test_skip_invalid_stores_the_valid_rows_and_the_rejects(
    engine: Engine, erp: Erp, tmp_path: Path
) -> None:
    three_lines(erp)
    erp.sql("INSERT INTO items VALUES ('S9', 'Mugs\x1b[31m', 'tableware')")  # a terminal escape
    erp.order(103, "A2", "2026-02-01 00:00:00")
    erp.line(103, 1, "S9", 1, "2026-03-01 08:00:00")

    report = sync_source(engine, source(erp, tmp_path, extra="skip_invalid: true"))

    # the item is rejected by the products query, its line by the transactions query
    assert (report.rows_added, report.rows_rejected) == (3, 2)
    assert set(stored(engine)) == set(FIRST)
    with engine.connect() as conn:
        rejects = conn.execute(select(SyncReject.kind, SyncReject.label, SyncReject.reason)).all()
    assert [tuple(r) for r in rejects] == [
        ("products", "S9", "name contains a control character (U+001B)"),
        ("transactions", "103-1", "product_name contains a control character (U+001B)"),
    ]
    assert watermark(engine) == when("2026-03-01 10:00:00")


def test_the_source_failing_mid_run_writes_nothing_and_keeps_the_watermark(
    engine: Engine, erp: Erp, tmp_path: Path
) -> None:
    three_lines(erp)
    sync_source(engine, source(erp, tmp_path))
    # 2,000 new lines; reading line 1,500 raises an error in the ERP after chunks were written.
    erp.order(200, "A1", "2026-03-05 08:00:00")
    erp.sql(
        "INSERT INTO order_lines SELECT 200, seq, 'S1', 1, 2.5, 'O', '2026-03-05 09:00:00' "
        "FROM seq_1_to_2000"
    )
    erp.sql(
        "CREATE FUNCTION checked(n INT) RETURNS INT DETERMINISTIC BEGIN "
        "IF n = 1500 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'the ERP went away'; "
        "END IF; RETURN n; END"
    )
    # The query's rows in one table, read with no join and no derived table around it: MariaDB
    # would compute those (and so fail) before sending the first row.
    erp.sql(f"CREATE TABLE lines_flat AS {TRANSACTIONS}")
    failing = (
        "SELECT f.*, checked(CAST(SUBSTRING_INDEX(f.line_id, '-', -1) AS INT)) AS c "
        "FROM lines_flat f WHERE f.updated_at >= :since"
    )
    chunks = []

    with pytest.raises(Exception) as caught:
        sync_source(
            engine,
            source(erp, tmp_path, transactions=failing, extra="chunk_rows: 100"),
            on_chunk=chunks.append,
        )

    assert len(chunks) >= 2, caught.value  # chunks had been checked and written before the failure
    assert "source erp: reading the transactions query failed after" in str(caught.value)
    assert "the ERP went away" in str(caught.value)
    assert set(stored(engine)) == set(FIRST)
    assert watermark(engine) == when("2026-03-01 10:00:00")
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Transaction)) == 3


def test_owner_email_keeps_rep_assignments_in_step(
    engine: Engine, erp: Erp, tmp_path: Path
) -> None:
    three_lines(erp)
    sync_source(engine, source(erp, tmp_path))
    erp.sql("UPDATE accounts SET am_email = 'bob@example.com' WHERE acct_no = 'A1'")
    erp.sql("UPDATE accounts SET am_email = 'ann@example.com' WHERE acct_no = 'A2'")

    def owners() -> set[tuple[str, str]]:
        with engine.connect() as conn:
            return set(
                conn.execute(
                    select(SalesRep.email, Customer.external_id)
                    .join(RepAssignment, RepAssignment.rep_id == SalesRep.id)
                    .join(Customer, Customer.id == RepAssignment.customer_id)
                ).all()
            )

    before = owners()
    report = sync_source(engine, source(erp, tmp_path))

    assert before == {("ann@example.com", "A1")}
    assert owners() == {("bob@example.com", "A1"), ("ann@example.com", "A2")}
    customers = next(m for m in report.masters if m.kind == "customers")
    assert customers.assignments_changed == 2
    with engine.connect() as conn:
        zones = dict(conn.execute(select(SalesRep.email, SalesRep.time_zone)).all())
    assert zones == {"ann@example.com": "Europe/Berlin", "bob@example.com": "UTC"}


def test_an_unknown_owner_is_a_rejected_customer(engine: Engine, erp: Erp, tmp_path: Path) -> None:
    three_lines(erp)
    erp.sql("UPDATE accounts SET am_email = 'nobody@example.com' WHERE acct_no = 'A2'")

    with pytest.raises(SyncRejected) as caught:
        sync_source(engine, source(erp, tmp_path))

    [reject] = caught.value.report.rejects
    assert (reject.kind, reject.label) == ("customers", "A2")
    assert "owner_email 'nobody@example.com' is not a known rep" in reject.reason
    assert stored(engine) == {}


def test_dry_run_reports_and_writes_nothing(engine: Engine, erp: Erp, tmp_path: Path) -> None:
    three_lines(erp)

    report = sync_source(engine, source(erp, tmp_path), dry_run=True)

    assert (report.rows_read, report.rows_added, report.run_id) == (3, 3, None)
    assert stored(engine) == {}
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(SyncRun)) == 0
        assert conn.scalar(select(func.count()).select_from(Customer)) == 0
