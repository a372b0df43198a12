"""Small, fast test data written with SQLAlchemy Core."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, insert, select

from db.models import Customer, Product, Transaction
from db.synthetic import B2BParams, b2b_profile
from model.features import DENSE_FEATURES, OWN_FEATURES
from model.item_embeddings import EmbeddingParams
from model.train import RankerParams

FAST = {
    "emb": 8,
    "hidden": 16,
    "negatives": 7,
    "epochs": 4,
    "patience": 2,
    "batch": 128,
    "windows": 2,
    "item_embeddings": EmbeddingParams(dim=8, negatives=7, epochs=2, max_pairs=20_000),
}


def fast_params(**overrides) -> RankerParams:
    return RankerParams(**{**FAST, **overrides})


@lru_cache(maxsize=4)
def small_b2b(customers: int = 80, products: int = 40, weeks: int = 30, seed: int = 3):
    return b2b_profile(B2BParams(customers=customers, products=products, weeks=weeks, seed=seed))


def load_b2b(
    engine: Engine, customers: int = 80, products: int = 40, weeks: int = 30, seed: int = 3
) -> dict[str, int]:
    """Insert a small b2b profile; returns external customer id -> database id."""
    data = small_b2b(customers, products, weeks, seed)
    with engine.begin() as conn:
        conn.execute(
            insert(Customer),
            [
                {
                    "external_id": r.customer_id,
                    "name": r.name,
                    "segment": r.segment,
                    "region": r.region,
                }
                for r in data.customers.itertuples()
            ],
        )
        conn.execute(
            insert(Product),
            [
                {"external_id": r.product_id, "name": r.name, "category": r.category}
                for r in data.products.itertuples()
            ],
        )
        cids = dict(conn.execute(select(Customer.external_id, Customer.id)).all())
        pids = dict(conn.execute(select(Product.external_id, Product.id)).all())
        tx = data.transactions
        conn.execute(
            insert(Transaction),
            [
                {
                    "customer_id": cids[c],
                    "product_id": pids[p],
                    "quantity": float(q),
                    "amount": float(a),
                    "occurred_at": pd.Timestamp(t).to_pydatetime(),
                }
                for c, p, q, a, t in zip(
                    tx.customer_id,
                    tx.product_id,
                    tx.quantity,
                    tx.amount,
                    tx.occurred_at,
                    strict=True,
                )
            ],
        )
    return cids


def count(engine: Engine, model, **where) -> int:
    stmt = select(func.count()).select_from(model)
    for k, v in where.items():
        stmt = stmt.where(getattr(model, k) == v)
    with engine.connect() as conn:
        return conn.execute(stmt).scalar_one()


def random_feature_weights(seed: int, hidden: int = 4) -> dict[str, list[np.ndarray]]:
    """Random weights of the ranker's feature layers, as NumpyScorer reads them."""
    rng = np.random.default_rng(seed)
    n_in = len(OWN_FEATURES) + len(DENSE_FEATURES)
    return {
        "dense_linear": [rng.normal(size=(len(DENSE_FEATURES), 1)).astype(np.float32)],
        "own_hidden": [
            rng.normal(size=(n_in, hidden)).astype(np.float32),
            rng.normal(size=hidden).astype(np.float32),
        ],
        "own_out": [rng.normal(size=(hidden, 1)).astype(np.float32), np.zeros(1, np.float32)],
    }
