"""The promotion gate's live check (GATE_LIVE_WEEKS): a version that beats the live one on
holdout NDCG is held as a candidate when the live hit rate fell after the last promotion."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert

from db import exposures
from db.models import Customer, ModelVersion, Product, Transaction
from model import registry

NOW = datetime(2026, 11, 27, 12, 0)
PROMOTED = NOW - timedelta(days=60)  # v2 went live then; v1 before it
GOOD = {"holdout": {"all": 0.5, "new": 0.2}, "holdout_popularity": {"all": 0.2, "new": 0.05}}
LIVE = {"holdout": {"all": 0.4, "new": 0.1}, "holdout_popularity": {"all": 0.2, "new": 0.05}}


def _world(engine: Engine, rate_before: float, rate_after: float, n: int = 300) -> None:
    rng = random.Random(3)
    with engine.begin() as conn:
        conn.execute(
            insert(Customer),
            [{"id": i, "external_id": f"C{i}", "name": f"C {i}"} for i in range(1, n + 1)],
        )
        conn.execute(
            insert(Product),
            [{"id": p, "external_id": f"P{p}", "name": f"P {p}"} for p in (1, 2)],
        )
        conn.execute(
            insert(ModelVersion),
            [
                {
                    "id": 1,
                    "status": "retired",
                    "arch": "ranker",
                    "promoted_at": PROMOTED - timedelta(days=90),
                    "metrics": LIVE,
                },
                {
                    "id": 2,
                    "status": "live",
                    "arch": "ranker",
                    "promoted_at": PROMOTED,
                    "metrics": LIVE,
                },
            ],
        )
        rows, bought = [], []
        for version, start, rate in (
            (1, PROMOTED - timedelta(days=20), rate_before),
            (2, PROMOTED + timedelta(days=5), rate_after),
        ):
            for customer in range(1, n + 1):
                at = start + timedelta(hours=customer)
                rows.append(exposures.exposure(at, customer, version, 1, "new", "answer", version))
                if rng.random() < rate:
                    bought.append(
                        {
                            "customer_id": customer,
                            "product_id": version,  # each version its own product
                            "quantity": 1.0,
                            "occurred_at": at + timedelta(days=3),
                        }
                    )
        exposures.write(conn, rows)
        conn.execute(insert(Transaction), bought)


def test_a_fall_in_the_live_hit_rate_holds_the_new_version(engine: Engine) -> None:
    _world(engine, rate_before=0.6, rate_after=0.3)
    fall = registry.live_hit_rate_fall(engine, weeks=4, window_days=30, now=NOW)
    assert fall is not None and "v1" in fall and "v2" in fall
    verdict = registry.gate(engine, GOOD, live_weeks=4, window_days=30)
    assert verdict.passed and verdict.hold
    assert "held for an admin" in verdict.reason
    # off (the default): the same evidence does not hold it
    assert not registry.gate(engine, GOOD).hold


def test_no_fall_or_too_little_evidence_promotes_as_before(engine: Engine) -> None:
    _world(engine, rate_before=0.4, rate_after=0.42)
    assert registry.live_hit_rate_fall(engine, weeks=4, window_days=30, now=NOW) is None
    verdict = registry.gate(engine, GOOD, live_weeks=4, window_days=30)
    assert verdict.passed and not verdict.hold


def test_a_small_sample_is_not_evidence(engine: Engine) -> None:
    _world(engine, rate_before=0.6, rate_after=0.3, n=50)
    assert registry.live_hit_rate_fall(engine, weeks=4, window_days=30, now=NOW) is None
