"""Similar products are trained, judged and published with every version (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from db import serving, similar
from db.models import Product, SimilarProduct
from model import registry
from model.pipeline import train_and_publish
from tests.model.helpers import count, fast_params, load_b2b


def quiet(_msg: str) -> None:
    pass


def test_training_publishes_the_neighbours_of_the_better_source(engine) -> None:
    load_b2b(engine)
    res = train_and_publish(engine, fast_params(), log=quiet)
    assert res.status == "live", res.reason
    judged = res.metrics["similar"]["holdout"]
    assert set(judged) == {"embeddings", "co-purchase"}
    assert all(judged[s][m]["queries"] > 0 for s in judged for m in ("all", "new"))

    def mean(name: str) -> float:
        return (judged[name]["all"]["ndcg"] + judged[name]["new"]["ndcg"]) / 2

    assert res.metrics["similar"]["served"] == max(judged, key=mean)
    with engine.connect() as conn:
        rows = conn.execute(
            select(SimilarProduct).where(SimilarProduct.model_version_id == res.version_id)
        ).all()
        products = set(conn.execute(select(Product.id)).scalars())
        assert similar.source(serving.live_model(conn)) == max(judged, key=mean)
    ranks = defaultdict(list)
    for row in rows:
        assert row.similar_product_id != row.product_id
        assert {row.product_id, row.similar_product_id} <= products
        ranks[row.product_id].append(row.rank)
    assert len(ranks) > 0.8 * len(products)
    assert all(sorted(r) == list(range(1, len(r) + 1)) and len(r) <= 20 for r in ranks.values())


def test_similar_rows_live_and_die_with_their_version(engine) -> None:
    versions = []
    for _ in range(3):
        vid = registry.start_run(engine, "ranker", {})
        registry.publish(engine, vid, iter([]), [], "test", [(vid, 1, 1, 2, 0.5)])
        versions.append(vid)
    first, second, third = versions
    # the live version and the one before it keep their rows (rollback needs them)
    assert count(engine, SimilarProduct, model_version_id=first) == 0
    assert count(engine, SimilarProduct, model_version_id=second) == 1
    assert count(engine, SimilarProduct, model_version_id=third) == 1
    candidate = registry.start_run(engine, "ranker", {})
    registry.store_candidate(engine, candidate, iter([]), [], "ok", [(candidate, 3, 1, 4, 0.1)])
    assert count(engine, SimilarProduct, model_version_id=candidate) == 1
