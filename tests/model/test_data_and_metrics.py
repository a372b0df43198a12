"""SQL aggregation, the metrics, and the baselines' contract: fast, no training."""

from __future__ import annotations

from datetime import datetime

import numpy as np
from sqlalchemy import insert

from db.models import Customer, Product, Transaction
from model.baselines import Ease, OwnHistory, Popularity, TifuKnn
from model.data import load_future_pairs, load_interactions
from model.evaluate import Truth, metrics_at_k, top_k, truth_from_pairs


def _rows(engine, lines):
    with engine.begin() as conn:
        conn.execute(insert(Customer), [{"external_id": f"C{i}", "name": "c"} for i in (1, 2)])
        conn.execute(insert(Product), [{"external_id": f"P{i}", "name": "p"} for i in (1, 2, 3)])
        conn.execute(
            insert(Transaction),
            [
                {"customer_id": c, "product_id": p, "quantity": q, "occurred_at": datetime(*d)}
                for c, p, q, d in lines
            ],
        )


def test_aggregation_by_week_nets_returns_and_ignores_the_clock(engine):
    _rows(
        engine,
        [
            (1, 1, 2.0, (2026, 3, 30, 9)),  # week 0 before as_of 2026-04-01
            (1, 1, 1.0, (2026, 3, 31, 9)),  # same week: summed
            (1, 2, 5.0, (2026, 3, 20, 9)),  # week 1
            (1, 2, -5.0, (2026, 3, 21, 9)),  # returned in full: no purchase that week
            (2, 3, 1.0, (2026, 3, 1, 9)),  # week 4
            (2, 1, 1.0, (2026, 4, 2, 9)),  # after as_of: not in training
        ],
    )
    inter = load_interactions(engine, as_of=datetime(2026, 4, 1))
    got = sorted(
        zip(
            inter.customer_ids[inter.c].tolist(),
            inter.product_ids[inter.p].tolist(),
            inter.week.tolist(),
            inter.qty.tolist(),
            strict=True,
        )
    )
    assert got == [(1, 1, 0, 3.0), (2, 3, 4, 1.0)]
    assert inter.n_rows == 3  # lines in the kept groups
    # default as_of: the newest transaction's next midnight, whatever today is
    later = load_interactions(engine)
    assert later.as_of == datetime(2026, 4, 3)
    assert load_future_pairs(engine, datetime(2026, 4, 1)) == {(2, 1)}


def test_metrics_match_hand_computed_values():
    truth = Truth(np.array([0, 1]), [np.array([3, 9]), np.array([5])], np.array([3, 1]))
    recs = np.array([[3, 1, 2], [7, 8, 5]])
    m = metrics_at_k(recs, truth, n_products=10, k=3)
    assert np.isclose(m["precision"], (1 / 3 + 1 / 3) / 2)
    assert np.isclose(m["recall"], (1 / 3 + 1) / 2)
    ideal0 = 1 + 1 / np.log2(3) + 1 / np.log2(4)
    assert np.isclose(m["ndcg"], (1 / ideal0 + (1 / np.log2(4)) / 1) / 2)
    assert m["hit_rate"] == 1.0 and np.isclose(m["coverage"], 6 / 10)


def test_top_k_mode_new_excludes_bought():
    from scipy import sparse

    scores = np.array([[5.0, 4.0, 3.0, 2.0]])
    bought = sparse.csr_matrix(np.array([[1, 0, 1, 0]]))
    assert top_k(scores, 2).tolist() == [[0, 1]]
    assert top_k(scores, 2, bought).tolist() == [[1, 3]]


def test_baselines_share_one_interface_and_rank_sensibly(engine):
    _rows(
        engine,
        [(1, 1, 1.0, (2026, 3, d, 9)) for d in (2, 9, 16, 23)]
        + [
            (1, 2, 1.0, (2026, 3, 2, 9)),
            (2, 2, 1.0, (2026, 3, 3, 9)),
            (2, 3, 1.0, (2026, 3, 10, 9)),
        ],
    )
    inter = load_interactions(engine, as_of=datetime(2026, 4, 1))
    rows = np.arange(inter.n_customers)
    for model in (Popularity(), OwnHistory(), Ease(lam=1.0), TifuKnn(k=1)):
        scores = model.fit(inter).score(rows)
        assert scores.shape == (inter.n_customers, inter.n_products), model.name
    own = OwnHistory().fit(inter).score(rows)
    assert own[0].argmax() == 0  # customer 1 bought product 1 in four weeks
    pop = Popularity().fit(inter).score(rows)
    assert pop[0].argmax() == 1  # product 2 is bought by both customers
    truth = truth_from_pairs(inter, {(1, 3), (1, 1)}, "new")
    assert truth.rows.tolist() == [0] and truth.items[0].tolist() == [2]


def test_reorder_reasons_read_well():
    from model.reasons import reorder_reason

    expected = "reorder: bought in 9 of last 12 weeks, not in the last 3 weeks"
    assert reorder_reason(9, 9, 3) == expected
    assert reorder_reason(4, 2, 1).endswith("not in the last week")
    assert reorder_reason(5, 0, 20) == "reorder: bought in 5 earlier weeks, not in the last 12"
