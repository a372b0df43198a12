"""Shared fixtures: a migrated database on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set.

Every test that takes `engine` runs once per database. On PostgreSQL the schema is rebuilt by the
real migrations once per session and the tables are emptied before each test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, text

from db.migrate import upgrade
from db.models import Base
from db.session import make_engine

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CI") and not os.environ.get("TEST_DATABASE_URL"):
        raise pytest.UsageError("CI must test PostgreSQL too: set TEST_DATABASE_URL")


@pytest.fixture(autouse=True)
def _no_holdout_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Digest tests see every account; the holdout's own tests (tests/jobs/test_digest_holdout.py)
    choose the share and seed."""
    monkeypatch.setenv("HOLDOUT_PERCENT", "0")


def _reset_postgres(engine: Engine) -> None:
    with engine.begin() as conn:
        meta = MetaData()
        meta.reflect(conn)
        meta.drop_all(conn)


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    engine = make_engine(os.environ["TEST_DATABASE_URL"])
    _reset_postgres(engine)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty SQLite database, for the few tests one database is enough for."""
    engine = make_engine(f"sqlite:///{tmp_path / 'recbot.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated, empty database: a fresh SQLite file, or the shared PostgreSQL test database."""
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_engine")
        return
    engine = request.getfixturevalue("postgres_engine")
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield engine


@pytest.fixture
def database_url(engine: Engine) -> str:
    """The URL of `engine`, for driving the CLI or a server as a user would."""
    return engine.url.render_as_string(hide_password=False)
