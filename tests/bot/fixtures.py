"""A small, fully known data set: customers, products, a live model with its precomputed lists."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.models import (
    ColdStartRecommendation,
    Customer,
    ModelVersion,
    Product,
    Recommendation,
    RepAssignment,
    SalesRep,
    Transaction,
)

REP_A, REP_B, ADMIN, STRANGER = "U0REPA", "U0REPB", "U0ADMIN", "U0STRANGER"
NOW = datetime(2026, 11, 27, 12, 0)

CUSTOMERS = [
    # id, external id, name, segment
    (1, "C001", "Acme Bistro", "Restaurants"),
    (2, "C002", "Acme Grill", "Restaurants"),
    (3, "C003", "Northwind Hotel", "Hotels"),
    (4, "C004", "Brand New Cafe", "Restaurants"),
    (5, "C005", "Lonely Clinic", "Hospitals"),
    (6, "C006", "Evil <!channel> & <@U0VICTIM> Co", "Retail"),
    (7, "C007", "Harbor Cafe 12", "Restaurants"),
]
PRODUCTS = {i: f"Dairy item {i:02d}" for i in range(1, 13)}
PRODUCTS[8] = "Milk <!here> *bold*"
# 'all' ranks products 1..8; 5..8 are never bought, so 'new' ranks 5..10.
ALL = [1, 2, 3, 4, 5, 6, 7, 8]
NEW = [5, 6, 7, 8, 9, 10]
REORDER_REASON = "reorder: bought in 9 of last 12 weeks, not in last 3"
LIVE_ID, OLD_ID = 2, 1


def fill(engine: Engine) -> None:
    with Session(engine) as s:
        s.add_all(
            Customer(id=i, external_id=e, name=n, segment=g, region="North")
            for i, e, n, g in CUSTOMERS
        )
        s.add_all(
            Product(id=i, external_id=f"P{i:03d}", name=n, category="Dairy")
            for i, n in PRODUCTS.items()
        )
        s.add_all(
            [
                ModelVersion(
                    id=OLD_ID, status="retired", arch="ncf", trained_at=datetime(2026, 10, 1)
                ),
                ModelVersion(
                    id=LIVE_ID,
                    status="live",
                    arch="ncf",
                    trained_at=datetime(2026, 11, 20),
                    promoted_at=datetime(2026, 11, 21),
                    data_from=datetime(2024, 11, 1),
                    data_to=datetime(2026, 11, 2),
                    metrics={"ndcg@10": 0.412, "recall@20": 0.377},
                ),
            ]
        )
        s.flush()
        for customer in (1, 2, 3, 6, 7):
            for rank, product in enumerate(ALL, 1):
                reason = REORDER_REASON if product <= 4 else f"new: popular with peers ({product})"
                s.add(
                    Recommendation(
                        model_version_id=LIVE_ID,
                        customer_id=customer,
                        mode="all",
                        rank=rank,
                        product_id=product,
                        score=1 - rank / 100,
                        reason=reason,
                    )
                )
            for rank, product in enumerate(NEW, 1):
                s.add(
                    Recommendation(
                        model_version_id=LIVE_ID,
                        customer_id=customer,
                        mode="new",
                        rank=rank,
                        product_id=product,
                        score=0.5 - rank / 100,
                        reason=f"new: popular with peers ({product})",
                    )
                )
            # the retired model must never be read
            s.add(
                Recommendation(
                    model_version_id=OLD_ID,
                    customer_id=customer,
                    mode="all",
                    rank=1,
                    product_id=12,
                    score=0.99,
                    reason="OLD MODEL",
                )
            )
        for rank, product in enumerate([11, 12], 1):
            s.add(
                ColdStartRecommendation(
                    model_version_id=LIVE_ID,
                    segment="Restaurants",
                    rank=rank,
                    product_id=product,
                    score=0.3,
                    reason="popular with Restaurants",
                )
            )
        for rank, product in enumerate([10, 9], 1):
            s.add(
                ColdStartRecommendation(
                    model_version_id=LIVE_ID,
                    segment="",
                    rank=rank,
                    product_id=product,
                    score=0.2,
                    reason="popular overall",
                )
            )
        for when in (
            datetime(2026, 11, 24),
            datetime(2026, 11, 17),
            datetime(2026, 10, 18),
            datetime(2025, 10, 1),
        ):  # the last one is older than 12 months
            s.add(
                Transaction(customer_id=1, product_id=1, quantity=2, amount=50.0, occurred_at=when)
            )
        s.add_all(
            [
                SalesRep(id=1, email="a@example.com", name="Rep A", slack_user_id=REP_A),
                SalesRep(id=2, email="b@example.com", name="Rep B", slack_user_id=REP_B),
            ]
        )
        s.flush()
        s.add_all(
            [
                RepAssignment(rep_id=1, customer_id=1),
                RepAssignment(rep_id=1, customer_id=3),
                RepAssignment(rep_id=2, customer_id=2),
            ]
        )
        s.commit()
