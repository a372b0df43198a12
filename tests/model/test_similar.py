"""Similar products on the model side: co-purchase cosine, the Keras item embeddings, the pairs
they learn from, and the evaluation that judges them (model/evaluate.py: neighbour_metrics)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from model.data import Interactions, interactions_from_frame
from model.evaluate import Truth, neighbour_metrics, recent_queries
from model.item_embeddings import EmbeddingParams, ItemEmbeddings
from model.item_pairs import draw_from_rows, next_pairs
from model.similar import CoPurchase, top_neighbours

END = datetime(2026, 6, 1)


def frame(rows: list[tuple[int, int, int]]) -> Interactions:
    """(customer, product, weeks before END) purchases as Interactions at END."""
    df = pd.DataFrame(
        [
            {
                "customer_id": c,
                "product_id": p,
                "quantity": 1,
                "occurred_at": END - timedelta(weeks=w, days=1),
            }
            for c, p, w in rows
        ]
    )
    return interactions_from_frame(df, END)


def test_co_purchase_is_the_cosine_of_who_bought_what() -> None:
    # A and B always together (customers 1-3), C and D (4-6); E with A once and with C once
    rows = [(c, p, 1) for c in (1, 2, 3) for p in (10, 20)]
    rows += [(c, p, 1) for c in (4, 5, 6) for p in (30, 40)] + [(1, 50, 1), (4, 50, 1)]
    inter = frame(rows)
    a, b, c, e = (int(np.flatnonzero(inter.product_ids == p)[0]) for p in (10, 20, 30, 50))
    sim = CoPurchase().fit(inter).similarity(np.array([a, e]))
    assert sim[0, b] == pytest.approx(1.0) and sim[0, c] == 0.0
    assert sim[1, a] == pytest.approx(1 / np.sqrt(3 * 2))
    idx, scores = top_neighbours(CoPurchase().fit(inter), inter.n_products, 3)
    assert idx[a, 0] == b and scores[a, 0] == pytest.approx(1.0)
    assert a not in idx[a][np.isfinite(scores[a])]  # never its own neighbour
    # A shares buyers with B and E only: the third slot has no evidence
    assert np.isfinite(scores[a]).sum() == 2


def test_neighbour_metrics_score_each_recent_purchases_neighbours() -> None:
    # customer 0 bought product 0 (week 0) and 1 (week 5); customer 1 bought 2 (week 0)
    inter = Interactions(
        np.array([100, 101]),
        np.arange(5),
        np.array([0, 0, 1], np.int32),
        np.array([0, 1, 2], np.int32),
        np.array([0, 5, 0], np.int32),
        np.ones(3, np.float32),
        END,
    )
    table = np.array(
        [
            [0, 9, 1, 8, 0],  # product 0: 1, 3, 2, ...
            [0, 0, 0, 0, 0],
            [0, 0, 0, 5, 9],  # product 2: 4, 3, ...
            [0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0],
        ],
        np.float32,
    )
    truths = {
        "all": Truth(np.array([0, 1]), [np.array([3]), np.array([3])], np.array([1, 1])),
        "new": Truth(np.array([0]), [np.array([3])], np.array([1])),
    }
    res = neighbour_metrics(lambda items: table[items], inter, truths, k=2, recent_weeks=4)
    # queries: (0, product 0) -> [1, 3]: hit at rank 2; (1, product 2) -> [4, 3]: hit at rank 2
    assert res["all"]["queries"] == 2
    assert res["all"]["ndcg"] == pytest.approx(1 / np.log2(3))
    # mode new drops product 1, which customer 0 already bought: [3, 2], a hit at rank 1
    assert res["new"]["queries"] == 1 and res["new"]["ndcg"] == pytest.approx(1.0)


def test_recent_queries_take_the_newest_purchases_first() -> None:
    inter = frame([(1, 10, 0), (1, 20, 1), (1, 30, 2), (1, 10, 3), (1, 40, 6), (2, 10, 0)])
    c, p = recent_queries(inter, np.array([0]), recent_weeks=4, per_customer=2)
    assert c.tolist() == [0, 0]
    assert inter.product_ids[p].tolist() == [10, 20]
    c, p = recent_queries(inter, np.array([0, 1]), recent_weeks=4, per_customer=5)
    assert sorted(inter.product_ids[p[c == 0]].tolist()) == [10, 20, 30]


def test_pairs_pair_a_purchase_with_the_customers_earlier_products() -> None:
    rows = [(c, 1, w) for c in range(4) for w in range(3, 9)]  # product 1 bought early
    rows += [(c, 2, w) for c in range(4) for w in (0, 1)]  # product 2 only in the last weeks
    rows += [(c, 1, w) for c in range(2) for w in (0, 1)]
    inter = frame(rows)
    one, two = (int(np.flatnonzero(inter.product_ids == p)[0]) for p in (1, 2))
    x, y = next_pairs(inter, 2, 3, 2, 10_000, 0.8, np.random.default_rng(0))
    assert len(x) and not np.any(x == y)
    assert set(x.tolist()) == {one} and set(y.tolist()) == {two}


def test_draws_follow_the_row_weights() -> None:
    m = sparse.csr_matrix(np.array([[1.0, 3.0, 0.0], [0.0, 0.0, 2.0]], np.float32))
    got = draw_from_rows(m, np.array([0] * 4000 + [1] * 10), np.random.default_rng(1))
    assert 0.7 < np.mean(got[:4000] == 1) < 0.8 and set(got[:4000].tolist()) == {0, 1}
    assert set(got[4000:].tolist()) == {2}


def test_embeddings_learn_what_comes_next_and_are_seeded() -> None:
    # customers buy A early and B later; others buy C early and D later; E is noise
    rows = []
    for c in range(60):
        first, then = (1, 2) if c % 2 else (3, 4)
        rows += [(c, first, w) for w in range(6, 20, 2)]
        rows += [(c, then, w) for w in range(0, 6 - c % 3)]
        rows += [(c, 5, w) for w in range(c % 5, 20, 5)]
    inter = frame(rows)
    at = {p: int(np.flatnonzero(inter.product_ids == p)[0]) for p in (1, 2, 3, 4)}
    p = EmbeddingParams(dim=8, negatives=4, epochs=8, weeks=2, windows=3, batch=64, seed=3)
    model = ItemEmbeddings(p).fit(inter)
    sim = model.similarity(np.array([at[1], at[3]]))
    assert sim[0, at[2]] > sim[0, at[4]] and sim[1, at[4]] > sim[1, at[2]]
    again = ItemEmbeddings(p).fit(inter).similarity(np.array([at[1]]))
    assert np.allclose(again, sim[:1])
