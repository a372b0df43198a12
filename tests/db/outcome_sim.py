"""A seeded closed-loop simulation for the outcome tests: reps see recommendations (answers,
digest lines, held-out digest lines), customers buy some of them later; every planted number is
kept so a test can compare the report with it."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert

from db import exposures
from db.models import Customer, Feedback, ModelVersion, Product, SalesRep, Transaction

START = datetime(2026, 9, 7, 9, 0)  # a Monday
WINDOW = 30


@dataclass
class Planted:
    shown: int = 0  # distinct (customer, product) exposed
    hits: int = 0  # of those, bought within the window of the first showing
    quantity: float = 0.0
    amount: float = 0.0
    by_surface: dict[str, tuple[int, int]] = field(default_factory=dict)
    by_version: dict[int, tuple[int, int]] = field(default_factory=dict)
    exposed_account_rates: list[float] = field(default_factory=list)
    holdout_account_rates: list[float] = field(default_factory=list)
    holdout_customers: set[int] = field(default_factory=set)
    up: int = 0
    down: int = 0


def simulate(
    engine: Engine, seed: int = 7, accounts: int = 40, held: int = 10, weeks: int = 1
) -> Planted:
    """`accounts` customers of two reps; the first `held` are the holdout (their digest lines
    recorded, never sent). Each exposed account gets 4 digest lines (v1) and an answer of 3
    products (v2, surface 'answer') in a later week; each line is bought within the window with
    a planted chance (exposed 0.5, held out 0.25), some purchases land outside the window, and
    one product is shown twice (counted once, from its first showing). `weeks`: the digest
    weeks the showings spread over."""
    rng = random.Random(seed)
    planted = Planted()
    exposure_rows: list[exposures.ExposureRow] = []
    purchases: list[dict] = []
    with engine.begin() as conn:
        conn.execute(
            insert(Customer),
            [
                {"id": i, "external_id": f"C{i:03d}", "name": f"Account {i}"}
                for i in range(1, accounts + 1)
            ],
        )
        conn.execute(
            insert(Product),
            [{"id": p, "external_id": f"P{p:03d}", "name": f"Product {p}"} for p in range(1, 21)],
        )
        conn.execute(
            insert(SalesRep),
            [
                {"id": 1, "email": "a@x.test", "name": "Rep A", "slack_user_id": "U0REPA"},
                {"id": 2, "email": "b@x.test", "name": "Rep B", "slack_user_id": "U0REPB"},
            ],
        )
        conn.execute(
            insert(ModelVersion),
            [
                {"id": 1, "status": "retired", "arch": "ranker"},
                {"id": 2, "status": "live", "arch": "ranker"},
            ],
        )

    def shown(
        customer: int,
        products: list[int],
        at: datetime,
        surface: str,
        version: int,
        rep: int,
        held_out: bool = False,
    ) -> None:
        user = "U0REPA" if rep == 1 else "U0REPB"
        for rank, product in enumerate(products, 1):
            exposure_rows.append(
                exposures.exposure(
                    at,
                    customer,
                    product,
                    rank,
                    "reorder" if rank <= 2 else "new",
                    surface,
                    version,
                    user,
                    rep if surface == "digest" else None,
                    held_out,
                )
            )

    def buy(customer: int, product: int, at: datetime) -> tuple[float, float]:
        quantity = float(rng.randint(1, 5))
        amount = quantity * 2.5
        purchases.append(
            {
                "customer_id": customer,
                "product_id": product,
                "quantity": quantity,
                "amount": amount,
                "occurred_at": at,
            }
        )
        return quantity, amount

    surface_counts = {"digest": [0, 0], "answer": [0, 0]}
    version_counts = {1: [0, 0], 2: [0, 0]}
    for customer in range(1, accounts + 1):
        rep = 1 if customer % 2 else 2
        held_out = customer <= held
        lines = rng.sample(range(1, 11), 4)
        day = START + timedelta(days=7 * rng.randrange(weeks) + rng.randint(0, 6))
        shown(customer, lines, day, "digest", 1, rep, held_out)
        chance = 0.25 if held_out else 0.5
        bought = 0
        for product in lines:
            if rng.random() < chance:
                bought += 1
                q, a = buy(customer, product, day + timedelta(days=rng.randint(1, WINDOW - 1)))
                if not held_out:
                    planted.quantity += q
                    planted.amount += a
            elif rng.random() < 0.3:  # bought, but after the window: no hit
                buy(customer, product, day + timedelta(days=WINDOW + rng.randint(1, 20)))
        if rng.random() < 0.2:  # bought before it was shown: no hit either
            buy(customer, lines[0], day - timedelta(days=3))
        if held_out:
            planted.holdout_customers.add(customer)
            planted.holdout_account_rates.append(bought / 4)
            continue
        planted.exposed_account_rates.append(bought / 4)
        planted.shown += 4
        planted.hits += bought
        surface_counts["digest"][0] += 4
        surface_counts["digest"][1] += bought
        version_counts[1][0] += 4
        version_counts[1][1] += bought
        # a later answer (v2): 3 products never in the digest, the first shown twice
        later = day + timedelta(days=14)
        extra = rng.sample(range(11, 21), 3)
        shown(customer, extra, later, "answer", 2, rep)
        shown(customer, extra[:1], later + timedelta(days=2), "answer", 2, rep)
        answer_hits = 0
        for product in extra:
            if rng.random() < 0.4:
                answer_hits += 1
                q, a = buy(customer, product, later + timedelta(days=rng.randint(1, WINDOW - 1)))
                planted.quantity += q
                planted.amount += a
        planted.shown += 3
        planted.hits += answer_hits
        surface_counts["answer"][0] += 3
        surface_counts["answer"][1] += answer_hits
        version_counts[2][0] += 3
        version_counts[2][1] += answer_hits
    feedback = []
    for customer in range(held + 1, min(held + 7, accounts + 1)):
        vote = 1 if customer % 3 else -1
        feedback.append(
            {
                "customer_id": customer,
                "product_id": 11,
                "slack_user_id": "U0REPA",
                "vote": vote,
                "model_version_id": 2,
                "created_at": START + timedelta(days=10),
            }
        )
        planted.up += vote > 0
        planted.down += vote < 0
    with engine.begin() as conn:
        exposures.write(conn, exposure_rows)
        conn.execute(insert(Transaction), purchases)
        conn.execute(insert(Feedback), feedback)
    planted.by_surface = {k: (v[0], v[1]) for k, v in surface_counts.items()}
    planted.by_version = {k: (v[0], v[1]) for k, v in version_counts.items()}
    return planted
