"""The SQLite aggregate (one scan, grouped in numpy) gives exactly the SQL GROUP BY's rows."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import Engine, insert

from db.models import Transaction
from model import data
from model.data import Interactions, load_interactions

AS_OF = datetime(2026, 4, 1)


def _fill(engine: Engine, customer_ids: list[int]) -> None:
    rng = np.random.default_rng(3)
    start = AS_OF - timedelta(weeks=30)
    lines = [
        {
            "customer_id": int(rng.choice(customer_ids)),
            "product_id": int(rng.integers(1, 40)),
            # fractions, returns and zero net quantities; some lines after as_of
            "quantity": float(rng.choice([1.0, 2.5, -1.0, 3.0, 0.25])),
            "occurred_at": start + timedelta(minutes=int(rng.integers(0, 31 * 7 * 24 * 60))),
        }
        for _ in range(3000)
    ]
    lines += [  # on the edges of a week and of as_of
        {"customer_id": customer_ids[0], "product_id": 1, "quantity": 1.0, "occurred_at": t}
        for t in (AS_OF - timedelta(microseconds=1), AS_OF, AS_OF - timedelta(days=7))
    ]
    with engine.begin() as conn:
        conn.execute(insert(Transaction), lines)


def _both(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, since: datetime | None = None
) -> tuple[Interactions, Interactions]:
    scanned = load_interactions(engine, as_of=AS_OF, since=since)
    with monkeypatch.context() as m:
        m.setattr(data, "weekly_sqlite", lambda *_: None)  # the SQL GROUP BY
        grouped = load_interactions(engine, as_of=AS_OF, since=since)
    return scanned, grouped


def _same(a: Interactions, b: Interactions) -> None:
    for name in ("customer_ids", "product_ids", "c", "p", "week", "qty"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert (a.n_rows, a.data_from, a.data_to) == (b.n_rows, b.data_from, b.data_to)


@pytest.mark.parametrize("since", [None, AS_OF - timedelta(weeks=9, hours=5)])
def test_scan_matches_group_by(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch, since: datetime | None
) -> None:
    _fill(sqlite_engine, [1, 2, 3, 7, 50])
    scanned, grouped = _both(sqlite_engine, monkeypatch, since)

    assert len(scanned.c) > 300 and (scanned.qty > 0).all()
    assert set(scanned.week.tolist()) == set(range(30 if since is None else 10))
    _same(scanned, grouped)


def test_ids_too_large_to_pack_fall_back_to_group_by(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(sqlite_engine, [1, 2**31 - 1])
    with sqlite_engine.connect() as conn:
        assert data.weekly_sqlite(conn, AS_OF, None) is None
    _same(*_both(sqlite_engine, monkeypatch))
