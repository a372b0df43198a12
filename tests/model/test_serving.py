"""Training to serving on SQLite (and PostgreSQL with TEST_DATABASE_URL): real Keras training."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest
from sqlalchemy import insert, select, update

from core.errors import RecbotError
from db import serving
from db.models import (
    ColdStartRecommendation,
    Customer,
    ModelVersion,
    Recommendation,
    Transaction,
)
from db.queries import customer_by_id
from db.strength import Calibration
from model import registry
from model.pipeline import train_and_publish
from tests.model.helpers import count, fast_params, load_b2b


def quiet(_msg: str) -> None:
    pass


def live_id(engine) -> int | None:
    with engine.connect() as conn:
        return serving.live_model_id(conn)


def served(engine, customer_id: int, n: int = 5) -> serving.Served:
    """What the live version serves a customer, read as every surface reads it."""
    with engine.connect() as conn:
        model = serving.live_model(conn)
        if model is None:
            raise RecbotError("no live model")
        customer = customer_by_id(conn, customer_id)
        return serving.served(conn, model, customer, n, datetime(2030, 1, 1))


def live_rows(engine, version_id):
    with engine.connect() as conn:
        return conn.execute(
            select(
                Recommendation.customer_id,
                Recommendation.mode,
                Recommendation.rank,
                Recommendation.product_id,
                Recommendation.score,
                Recommendation.reason,
            )
            .where(Recommendation.model_version_id == version_id)
            .order_by(Recommendation.customer_id, Recommendation.mode, Recommendation.rank)
        ).all()


def bought_pairs(engine):
    with engine.connect() as conn:
        return set(conn.execute(select(Transaction.customer_id, Transaction.product_id)).all())


def test_train_publishes_both_modes_with_reasons(engine):
    load_b2b(engine)
    res = train_and_publish(engine, fast_params(), log=quiet)
    assert res.status == "live", res.reason
    rows = live_rows(engine, res.version_id)
    customers = {r.customer_id for r in rows}
    assert len(customers) == res.n_customers
    bought = bought_pairs(engine)
    new_rows = [r for r in rows if r.mode == "new"]
    all_rows = [r for r in rows if r.mode == "all"]
    assert new_rows and all_rows
    # mode 'new' never offers what the customer already bought; 'all' does include reorders
    assert not any((r.customer_id, r.product_id) in bought for r in new_rows)
    assert any((r.customer_id, r.product_id) in bought for r in all_rows)
    assert any(r.reason.startswith("reorder: bought in ") for r in all_rows)
    assert all(not r.reason.startswith("reorder") for r in new_rows)
    # ranks are 1..n per customer and mode, scores non-increasing
    first = [r for r in all_rows if r.customer_id == all_rows[0].customer_id]
    assert [r.rank for r in first] == list(range(1, len(first) + 1))
    assert all(a.score >= b.score for a, b in itertools.pairwise(first))
    assert len(first) == min(50, res.n_products)
    with engine.connect() as conn:
        version = conn.execute(
            select(
                ModelVersion.status,
                ModelVersion.artifact,
                ModelVersion.n_rows,
                ModelVersion.metrics,
                ModelVersion.data_to,
            ).where(ModelVersion.id == res.version_id)
        ).one()
    assert version.status == "live" and version.artifact and version.n_rows > 0
    assert version.metrics["holdout"]["all"] > 0 and version.data_to is not None
    # the holdout calibration behind the strength bands is stored and read back by serving
    calibration = Calibration.from_metrics(version.metrics)
    assert calibration is not None and set(calibration.curves) == {"all", "new"}
    for edges, chances in calibration.curves.values():
        assert list(edges) == sorted(edges) and list(chances) == sorted(chances)


def test_cold_start_customer_gets_segment_then_global_list(engine):
    load_b2b(engine)
    res = train_and_publish(engine, fast_params(), log=quiet)
    with engine.begin() as conn:
        hotel = conn.execute(
            insert(Customer)
            .values(external_id="NEW1", name="New Hotel", segment="Hotels")
            .returning(Customer.id)
        ).scalar_one()
        odd = conn.execute(
            insert(Customer)
            .values(external_id="NEW2", name="Odd One", segment="Zoos")
            .returning(Customer.id)
        ).scalar_one()
    answer = served(engine, hotel)
    assert answer.cold_start and answer.cold_segment == "Hotels" and len(answer.new) == 5
    assert all(i.reason.startswith("popular with Hotels accounts") for i in answer.new)
    answer = served(engine, odd)
    assert answer.cold_start and answer.cold_segment == "" and len(answer.new) == 5
    assert count(engine, ColdStartRecommendation, model_version_id=res.version_id, segment="") > 0


def test_gate_rejects_a_model_that_does_not_beat_popularity(engine):
    load_b2b(engine)
    live = train_and_publish(engine, fast_params(), log=quiet)
    before = live_rows(engine, live.version_id)
    # the blog's recipe, barely trained, ranks worse than popularity on the holdout
    worse = train_and_publish(engine, fast_params(arch="seed", seed_epochs=1), log=quiet)
    assert worse.status == "rejected"
    assert "does not beat popularity" in worse.reason
    assert live_id(engine) == live.version_id
    assert live_rows(engine, live.version_id) == before
    assert count(engine, Recommendation, model_version_id=worse.version_id) == 0


def test_gate_rejects_a_model_much_worse_than_live(engine):
    load_b2b(engine)
    live = train_and_publish(engine, fast_params(), log=quiet)
    with engine.begin() as conn:  # pretend the live version scored far higher on its holdout
        metrics = dict(live.metrics, holdout={"all": 0.99, "new": 0.99})
        conn.execute(
            update(ModelVersion).where(ModelVersion.id == live.version_id).values(metrics=metrics)
        )
    res = train_and_publish(engine, fast_params(), log=quiet)
    assert res.status == "rejected" and "below live version" in res.reason
    assert live_id(engine) == live.version_id
    # within the tolerance the same model is accepted
    res2 = train_and_publish(engine, fast_params(), tolerance=1.0, log=quiet)
    assert res2.status == "live"


def test_switch_is_atomic_and_readers_never_see_half_a_set(engine):
    load_b2b(engine)
    live = train_and_publish(engine, fast_params(), log=quiet)
    before = live_rows(engine, live.version_id)
    vid = registry.start_run(engine, "ranker", {})
    seen = []

    def chunks():
        yield [
            (vid, r.customer_id, r.mode, r.rank, r.product_id, r.score, "x") for r in before[:50]
        ]
        # a reader in the middle of the switch still sees the old live version, whole
        seen.append((live_id(engine), count(engine, Recommendation, model_version_id=vid)))
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        registry.publish(engine, vid, chunks(), [])
    assert seen == [(live.version_id, 0)]
    assert live_id(engine) == live.version_id
    assert count(engine, Recommendation, model_version_id=vid) == 0
    assert live_rows(engine, live.version_id) == before
    # the same switch without the failure goes through completely
    vid2 = registry.start_run(engine, "ranker", {})
    rows = [(vid2, r.customer_id, r.mode, r.rank, r.product_id, r.score, r.reason) for r in before]
    registry.publish(engine, vid2, iter([rows]), [])
    assert live_id(engine) == vid2
    assert count(engine, Recommendation, model_version_id=vid2) == len(before)


def test_rollback_and_promote(engine):
    load_b2b(engine)
    first = train_and_publish(engine, fast_params(), log=quiet)
    second = train_and_publish(engine, fast_params(seed=8), tolerance=1.0, log=quiet)
    assert second.status == "live"
    old, new = registry.rollback(engine)
    assert (old, new) == (second.version_id, first.version_id)
    assert live_id(engine) == first.version_id
    registry.promote(engine, second.version_id)
    assert live_id(engine) == second.version_id
    with pytest.raises(RecbotError, match="already live"):
        registry.promote(engine, second.version_id)


def test_failed_training_leaves_serving_intact(engine):
    load_b2b(engine)
    live = train_and_publish(engine, fast_params(), log=quiet)
    before = live_rows(engine, live.version_id)
    with pytest.raises(RecbotError, match="diverged") as err:
        train_and_publish(engine, fast_params(lr=1e30), log=quiet)
    assert "serving unchanged" in str(err.value) and "\n" not in str(err.value)
    with engine.connect() as conn:
        failed = conn.execute(
            select(ModelVersion.status, ModelVersion.reason).where(
                ModelVersion.id != live.version_id
            )
        ).one()
    assert failed.status == "failed" and "diverged" in failed.reason
    assert live_id(engine) == live.version_id
    assert live_rows(engine, live.version_id) == before


def test_interrupted_run_is_marked_failed_by_the_next_one(engine):
    load_b2b(engine)
    stale = registry.start_run(engine, "ranker", {})  # a process killed mid-training
    res = train_and_publish(engine, fast_params(), log=quiet)
    with engine.connect() as conn:
        status, reason = conn.execute(
            select(ModelVersion.status, ModelVersion.reason).where(ModelVersion.id == stale)
        ).one()
    assert status == "failed" and reason.startswith("interrupted")
    assert res.status == "live"


def test_empty_and_too_small_databases_get_one_line(engine):
    with pytest.raises(RecbotError, match="no transactions in the database"):
        train_and_publish(engine, fast_params(), log=quiet)
    load_b2b(engine, customers=2, products=3, weeks=2)
    with pytest.raises(RecbotError, match="too little") as err:
        train_and_publish(engine, fast_params(), log=quiet)
    assert "\n" not in str(err.value)
    assert live_id(engine) is None


def test_no_promote_keeps_a_candidate_that_can_be_promoted(engine):
    load_b2b(engine)
    res = train_and_publish(engine, fast_params(), promote=False, log=quiet)
    assert res.status == "candidate"
    assert live_id(engine) is None
    with pytest.raises(RecbotError, match="no live model"):
        served(engine, 1)
    registry.promote(engine, res.version_id)
    assert live_id(engine) == res.version_id
    answer = served(engine, 1)
    assert not answer.cold_start and len(answer.reorder) == 5
