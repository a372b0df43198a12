"""Similar products on top of tests/bot/fixtures.py: the live version's neighbours, a discontinued
product Acme Grill used to buy, an out-of-stock neighbour, and a customer called "Similar …".

Added after the base surfaces are built, so it changes none of them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, insert, update

from db.models import Customer, ModelVersion, Product, SimilarProduct, Transaction
from tests.bot import fixtures

DISCONTINUED, OUT_OF_STOCK = 13, 14
GRILL = 2  # Acme Grill bought the discontinued product
SIMILAR_SUPPLIES = 8
# product -> neighbours, best first (the out-of-stock one first, so it must be skipped)
NEIGHBOURS = {
    DISCONTINUED: [OUT_OF_STOCK, 8, 9, 10, 11],
    1: [2, 3, DISCONTINUED, 4],
}
METRICS = {
    **fixtures.METRICS,
    "similar": {
        "served": "embeddings",
        "k": 10,
        "holdout_weeks": 4,
        "holdout": {
            "embeddings": {"all": {"ndcg": 0.21}, "new": {"ndcg": 0.08}},
            "co-purchase": {"all": {"ndcg": 0.18}, "new": {"ndcg": 0.06}},
        },
    },
}


def fill(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(Product),
            [
                {
                    "id": DISCONTINUED,
                    "external_id": "P013",
                    "name": "Oat milk 1L",
                    "category": "Dairy",
                    "status": "discontinued",
                },
                {
                    "id": OUT_OF_STOCK,
                    "external_id": "P014",
                    "name": "Soy milk 1L",
                    "category": "Dairy",
                    "status": "out_of_stock",
                },
            ],
        )
        conn.execute(
            insert(Customer).values(
                id=SIMILAR_SUPPLIES,
                external_id="C008",
                name="Similar Supplies",
                segment="Retail",
                region="North",
            )
        )
        conn.execute(
            insert(SimilarProduct),
            [
                {
                    "model_version_id": fixtures.LIVE_ID,
                    "product_id": product,
                    "rank": rank,
                    "similar_product_id": other,
                    "score": 1 - rank / 10,
                }
                for product, others in NEIGHBOURS.items()
                for rank, other in enumerate(others, 1)
            ],
        )
        conn.execute(
            insert(Transaction),
            [
                {
                    "customer_id": GRILL,
                    "product_id": DISCONTINUED,
                    "quantity": 3,
                    "amount": 12.0,
                    "occurred_at": when,
                }
                for when in (datetime(2026, 9, 1, 9), datetime(2026, 10, 1, 9))
            ],
        )
        conn.execute(
            update(ModelVersion).where(ModelVersion.id == fixtures.LIVE_ID).values(metrics=METRICS)
        )
