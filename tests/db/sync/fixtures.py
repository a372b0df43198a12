"""MariaDB for the sync tests: TEST_MARIADB_URL (default the local server's `test` database).

Each test gets its own database (recbot_erp_test_<pid>), created and dropped around it. Without a
reachable server the tests are skipped — except under CI, where they fail, as the PostgreSQL
tests do.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

from db.settings import SyncSettings
from tests.db.sync.erp import Erp

DEFAULT_MARIADB_URL = "mysql+pymysql://root@127.0.0.1:3306/test"


@pytest.fixture(scope="session")
def mariadb_url() -> URL:
    url = make_url(os.environ.get("TEST_MARIADB_URL") or DEFAULT_MARIADB_URL)
    engine = create_engine(url)
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        message = (
            f"MariaDB at {url.render_as_string(hide_password=True)} is unreachable: {exc.orig}"
        )
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must run the sync tests: start MariaDB)")
        pytest.skip(message)
    finally:
        engine.dispose()
    return url


@pytest.fixture
def erp(mariadb_url: URL) -> Iterator[Erp]:
    """A fresh ERP database in MariaDB with accounts, items and reps (no orders yet)."""
    name = f"recbot_erp_test_{os.getpid()}"
    admin = create_engine(mariadb_url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    erp = Erp(mariadb_url.set(database=name))
    erp.create()
    yield erp
    erp.dispose()
    with admin.begin() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
    admin.dispose()


def sync_settings(path: Path, overlap_days: int = 3) -> SyncSettings:
    return SyncSettings(sources_file=path, sources_file_is_default=False, overlap_days=overlap_days)


READERS = ("auto", "driver", "connectorx")


def off_the_reader_matrix(item: pytest.Item) -> bool:
    """The readers do not depend on the store: each runs on SQLite, and PostgreSQL runs with the
    default one only."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    return params.get("engine") == "postgresql" and params.get("reader", "auto") != "auto"


@pytest.fixture(params=READERS)
def reader(request: pytest.FixtureRequest, erp: Erp) -> str:
    """The sources file's `reader:` for this test (asyncmy, the URL's driver or connectorx)."""
    erp.reader = request.param
    return request.param
