"""`recbot sync` as a user runs it: output lines, --dry-run, --rejects, and `recbot jobs`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from bot.cli import cli
from db.models import Transaction
from tests.db.sync.erp import Erp
from tests.db.sync.fixtures import erp, mariadb_url

__all__ = ["erp", "mariadb_url"]  # fixtures


@pytest.fixture
def synced_erp(monkeypatch: pytest.MonkeyPatch, database_url: str, erp: Erp, tmp_path: Path) -> Erp:
    erp.order(100, "A1", "2026-01-05 10:00:00")
    erp.line(100, 1, "S1", 2, "2026-03-01 10:00:00")
    erp.line(100, 2, "S2", 1, "2026-03-01 10:00:00")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SOURCES_FILE", str(erp.sources_file(tmp_path, extra="skip_invalid: true")))
    return erp


def rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Transaction))


def test_dry_run_then_sync_then_jobs(engine: Engine, synced_erp: Erp) -> None:
    runner = CliRunner()

    dry = runner.invoke(cli, ["sync", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output.startswith("Dry run (nothing written): erp: 2 added, 0 updated")
    assert rows(engine) == 0

    done = runner.invoke(cli, ["sync"])
    assert done.exit_code == 0, done.output
    assert done.output.startswith("Synced erp: 2 added, 0 updated, 0 removed, 0 rejected")
    assert rows(engine) == 2

    jobs = runner.invoke(cli, ["jobs"])
    assert jobs.exit_code == 0, jobs.output
    sync_section = jobs.output[jobs.output.index("sync: before each retrain") :]
    assert "succeeded, synced: erp: 2 added, 0 updated, 0 removed, 0 rejected" in sync_section
    assert "watermark 2026-03-01 10:00:00" in sync_section


def test_rejects_are_listed(engine: Engine, synced_erp: Erp) -> None:
    synced_erp.order(101, "A2", "2099-01-01 00:00:00")
    synced_erp.line(101, 1, "S1", 1, "2026-03-01 10:00:00")
    runner = CliRunner()

    done = runner.invoke(cli, ["sync"])
    listed = runner.invoke(cli, ["sync", "--rejects"])

    assert done.exit_code == 0
    assert "erp: transactions 101-1: date '2099-01-01 00:00:00' is in the future" in done.output
    assert listed.exit_code == 0
    assert listed.output.splitlines()[0].endswith("succeeded): 1 rows rejected")
    assert listed.output.splitlines()[1] == (
        "  transactions 101-1: date '2099-01-01 00:00:00' is in the future"
    )


def test_a_failing_source_is_one_error_line(
    monkeypatch: pytest.MonkeyPatch, engine: Engine, synced_erp: Erp, tmp_path: Path
) -> None:
    down = synced_erp.sources_file(tmp_path, url="mysql+pymysql://root:s3cret@127.0.0.1:1/erp")
    monkeypatch.setenv("SOURCES_FILE", str(down))

    result = CliRunner().invoke(cli, ["sync"])

    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: source erp: cannot connect to ")
    assert "s3cret" not in result.output
