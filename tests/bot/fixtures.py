"""A small, fully known data set: customers, products, a live model with its precomputed lists."""

from __future__ import annotations

from datetime import datetime, timedelta

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
DATA_END = datetime(2026, 11, 19)
# What a trained version stores (model/base.py FitResult.metrics), with its per-epoch history, which
# no Slack text may show. The calibration makes 'all' ranks 1-2 strong, 3-5 likely, 6-8 worth a
# try; 'new' ranks 1-2 a one-in-eight chance (enough for a digest line), the rest one in twenty.
METRICS = {
    "holdout": {"all": 0.412, "new": 0.101},
    "holdout_popularity": {"all": 0.251, "new": 0.052},
    "holdout_weeks": 4,
    "history": [{"epoch": 1, "loss": 2.0075, "all": 0.4, "new": 0.1}],
    "best_epoch": 1,
    "n_products": 12,
    "calibration": {
        "horizon_weeks": 4,
        "customers": 120,
        "all": {"edges": [0.5, 0.945, 0.975], "rates": [0.08, 0.3, 0.7], "picks": [60, 30, 30]},
        "new": {"edges": [0.2, 0.475], "rates": [0.05, 0.125], "picks": [80, 40]},
    },
}
# Reorder rhythms (customer, product, first day, every n days, orders, quantity, amount), seen from
# the digest's Monday 2026-11-23 and the answers' NOW with the data ending on DATA_END:
RHYTHMS = [
    (3, 2, datetime(2026, 9, 25, 9), 7, 7, 10, 100.0),  # last 11-06: overdue, $100 an order
    (6, 3, datetime(2026, 9, 24, 9), 14, 4, 4, 20.0),  # last 11-05: due, $20 an order
    (7, 4, datetime(2026, 6, 1, 9), 7, 11, 1, None),  # last 08-10: lapsed, 1 unit an order
]


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
                    data_to=DATA_END,
                    n_rows=1234,
                    n_customers=len(CUSTOMERS),
                    n_products=len(PRODUCTS),
                    metrics=METRICS,
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
        for customer, product, first, every, orders, quantity, amount in RHYTHMS:
            s.add_all(
                Transaction(
                    customer_id=customer,
                    product_id=product,
                    quantity=quantity,
                    amount=amount,
                    occurred_at=first + timedelta(days=every * i),
                )
                for i in range(orders)
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
