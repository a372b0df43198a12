"""A first sync of a source inserts its lines in bulk; a later full sync upserts onto them. The
store stays readable while a sync writes. SQLite and PostgreSQL, from the fake ERP in MariaDB."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from db.models import Transaction
from db.sync.apply import sync_source
from tests.db.sync.erp import TRANSACTIONS, Erp
from tests.db.sync.test_sync import FIRST, source, stored, three_lines

# Line 100-1 comes again at the end with another quantity (a source whose query repeats a line):
# with one row per chunk it is met again after the bulk insert of its first row.
REPEATED = f"""
SELECT * FROM ({TRANSACTIONS}) AS t
UNION ALL
SELECT line_id, customer_id, customer_name, product_id, product_name, quantity + 5,
       amount, occurred_at, cancelled, updated_at
FROM ({TRANSACTIONS}) AS again WHERE line_id = '100-1'
"""


def test_a_second_full_sync_replaces_nothing_it_need_not(
    engine: Engine, erp: Erp, tmp_path: Path
) -> None:
    three_lines(erp)
    first = sync_source(engine, source(erp, tmp_path, extra="chunk_rows: 2"))
    erp.change(100, 2, "2026-03-03 10:00:00", qty=4)

    second = sync_source(engine, source(erp, tmp_path, extra="chunk_rows: 2"), full=True)

    assert (first.rows_added, first.rows_updated) == (3, 0)
    assert (second.mode, second.rows_added, second.rows_updated, second.rows_unchanged) == (
        "full",
        0,
        1,
        2,
    )
    assert stored(engine) == {**FIRST, "100-2": ("A1", "S2", 4.0, 10.0, FIRST["100-2"][4])}


def test_a_line_met_again_in_a_later_chunk_of_a_first_sync_replaces_its_row(
    engine: Engine, erp: Erp, tmp_path: Path
) -> None:
    three_lines(erp)

    report = sync_source(
        engine, source(erp, tmp_path, transactions=REPEATED, extra="chunk_rows: 1")
    )

    assert (report.rows_read, report.rows_added, report.rows_updated) == (4, 3, 1)
    assert stored(engine) == {**FIRST, "100-1": ("A1", "S1", 7.0, 11.0, FIRST["100-1"][4])}


@pytest.mark.parametrize("name", ["erp", "erp_copy"])  # upserted onto its rows; bulk, fresh
def test_readers_see_the_previous_rows_while_a_sync_writes(
    engine: Engine, erp: Erp, tmp_path: Path, name: str
) -> None:
    three_lines(erp)
    sync_source(engine, source(erp, tmp_path))
    erp.order(102, "A2", "2026-03-02 08:00:00")
    for line_no in range(1, 5):
        erp.line(102, line_no, "S3", line_no, "2026-03-02 08:05:00")
    seen: list[int] = []

    def read_meanwhile(_rows_read: int) -> None:
        # Another connection, as the Slack server's: it must not wait for the sync's locks
        # (a lock wait fails at once instead of hanging the test).
        with engine.connect() as reader:
            if reader.dialect.name == "postgresql":
                reader.execute(text("SET lock_timeout = '2s'"))
                strong = reader.scalar(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE relation = 'transactions'::regclass "
                        "AND mode IN ('ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', "
                        "'AccessExclusiveLock')"
                    )
                )
                assert strong == 0
            seen.append(reader.scalar(select(func.count()).select_from(Transaction)) or 0)

    report = sync_source(
        engine,
        source(erp, tmp_path, name=name, extra="chunk_rows: 1"),
        full=True,
        on_chunk=read_meanwhile,
    )

    assert report.rows_added == (4 if name == "erp" else 7)
    assert seen == [3] * report.rows_read  # the committed rows, never a half-written sync
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Transaction)) == 3 + report.rows_added


def test_mysqlclient_reads_what_pymysql_reads(engine: Engine, erp: Erp, tmp_path: Path) -> None:
    pytest.importorskip("MySQLdb", reason="mysqlclient (mysql+mysqldb://) is not installed")
    three_lines(erp)
    erp.line(101, 2, "S2", 1, "2026-03-01 09:30:00", status="X")  # cancelled: a 1 as raw text
    url = erp.url.set(drivername="mysql+mysqldb").render_as_string(hide_password=False)

    report = sync_source(engine, source(erp, tmp_path, url=url, extra="reader: driver"))

    assert (report.rows_read, report.rows_added, report.rows_rejected) == (4, 3, 0)
    assert report.watermark == datetime(2026, 3, 1, 10)
    assert stored(engine) == FIRST
