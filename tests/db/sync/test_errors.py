"""What goes wrong with a source is one line naming the source and what to fix, never the
password; nothing is written and the previous watermark stays in force."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from core.errors import RecbotError
from db.models import SyncRun, Transaction
from db.sync.apply import sync_source
from db.sync.config import load_sources
from db.sync.runs import last_watermark
from tests.db.sync.erp import TRANSACTIONS, Erp, when


def sync_once(engine: Engine, erp: Erp, folder: Path) -> None:
    erp.order(100, "A1", "2026-01-05 10:00:00")
    erp.line(100, 1, "S1", 2, "2026-03-01 10:00:00")
    [source] = load_sources(erp.sources_file(folder), environ={})
    sync_source(engine, source)


def failing(engine: Engine, erp: Erp, folder: Path, environ: dict | None = None, **file) -> str:
    """The one-line error of a sync with this sources file; checks nothing was written."""
    sync_once(engine, erp, folder)
    with pytest.raises(RecbotError) as caught:
        [source] = load_sources(erp.sources_file(folder, **file), environ=environ or {})
        sync_source(engine, source)
    message = str(caught.value)
    assert "\n" not in message
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Transaction)) == 1
        assert last_watermark(conn, "erp") == when("2026-03-01 10:00:00")
    return message


def test_a_driver_that_is_not_installed(engine: Engine, erp: Erp, tmp_path: Path) -> None:
    message = failing(engine, erp, tmp_path, url="mysql+mysqldb://u:secretpw@127.0.0.1/erp")

    assert message.startswith("source erp: url mysql+mysqldb://u:***@127.0.0.1/erp needs the ")
    assert "Python driver 'MySQLdb', which is not installed" in message
    assert "secretpw" not in message


def test_a_wrong_password(engine: Engine, erp: Erp, tmp_path: Path) -> None:
    url = erp.url.set(password="wrong-secret").render_as_string(hide_password=False)

    message = failing(engine, erp, tmp_path, url=url)

    assert message.startswith("source erp: the database refused the login (")
    assert "Access denied" in message and "check the user and password" in message
    assert "wrong-secret" not in message


def test_a_password_from_the_environment(engine: Engine, erp: Erp, tmp_path: Path) -> None:
    message = failing(
        engine,
        erp,
        tmp_path,
        environ={"ERP_PASSWORD": "from-env"},
        extra="password: ${ERP_PASSWORD}",
    )

    assert "refused the login" in message and "from-env" not in message


def test_an_unreachable_server(engine: Engine, erp: Erp, tmp_path: Path) -> None:
    message = failing(engine, erp, tmp_path, url="mysql+pymysql://root:pw@127.0.0.1:1/erp")

    assert message.startswith(
        "source erp: cannot connect to mysql+pymysql://root:***@127.0.0.1:1/erp"
    )
    assert "is the database running and reachable from here?" in message


@pytest.mark.usefixtures("reader")  # each reader runs the query
def test_a_query_that_fails(engine: Engine, erp: Erp, tmp_path: Path) -> None:
    query = TRANSACTIONS.replace("JOIN items i", "JOIN itemz i")

    message = failing(engine, erp, tmp_path, transactions=query)

    assert message.startswith("source erp: the transactions query failed (")
    assert "itemz' doesn't exist" in message and "fix it in the sources file" in message


@pytest.mark.usefixtures("reader")  # each reader runs the query
def test_a_query_without_a_required_column(engine: Engine, erp: Erp, tmp_path: Path) -> None:
    query = TRANSACTIONS.replace("AS line_id", "AS line_no")

    message = failing(engine, erp, tmp_path, transactions=query)

    assert message.startswith("source erp: the transactions query returns no column line_id (")
    assert "name them with AS in the query" in message


@pytest.mark.usefixtures("reader")  # each reader runs the query
def test_no_watermark_column(engine: Engine, erp: Erp, tmp_path: Path) -> None:
    message = failing(engine, erp, tmp_path, extra="watermark: changed_on")

    assert "does the query return the watermark column changed_on?" in message


def test_failed_runs_are_recorded_with_their_error(
    engine: Engine, erp: Erp, tmp_path: Path
) -> None:
    failing(engine, erp, tmp_path, url="mysql+pymysql://root:pw@127.0.0.1:1/erp")

    with engine.connect() as conn:
        rows = conn.execute(select(SyncRun.status, SyncRun.error).order_by(SyncRun.id)).all()
    assert [r.status for r in rows] == ["succeeded", "failed"]
    assert rows[1].error.startswith("source erp: cannot connect")
