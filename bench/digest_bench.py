"""Digest benchmark: 1,000 reps x 20 accounts each, sent to the Slack stand-in, no pacing.

Fills a database (PostgreSQL by default, or --database-url sqlite:///...) with 20,000 customers,
a calibrated live model with 5 + 5 precomputed picks each, two weekly or fortnightly reorders
per customer (so each digest has due and overdue lines to read and send), and 1,000 reps (10 %
without a stored Slack id, so found by email). Each run forgets the previous run's deliveries
and cached Slack ids, then times `DigestJob.run(manual=True)` end to end: plan, a DM channel per
rep (conversations.open), the lookups by email, the account reads, chat.postMessage, and the
delivery records.

    .venv/bin/python bench/digest_bench.py --runs 3
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import Engine, create_engine, delete, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.jobs.digest import DigestJob  # noqa: E402
from bot.jobs.pacing import Pacer  # noqa: E402
from bot.settings import JobSettings  # noqa: E402
from bot.slack_client import make_client  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import (  # noqa: E402
    Customer,
    DigestDelivery,
    JobRun,
    ModelVersion,
    Product,
    Recommendation,
    RepAssignment,
    RepDigestSetting,
    SalesRep,
    Transaction,
)
from db.session import make_engine  # noqa: E402
from tests.slack_standin import BOT_TOKEN, SlackStandIn  # noqa: E402

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "Asia/Tokyo"]


def ensure_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    admin = create_engine(
        parsed.set(database="postgres", drivername="postgresql+psycopg"),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        if not conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": parsed.database}
        ).scalar():
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


# A calibration (new products can carry evidence) and reorder rhythms (reorders are due or
# overdue): without them no account needs attention and every digest is skipped.
METRICS = {
    "calibration": {
        "horizon_weeks": 4,
        "customers": 1000,
        "all": {"edges": [0.0, 0.5], "rates": [0.1, 0.6], "picks": [1, 1]},
        "new": {"edges": [0.0, 0.5], "rates": [0.05, 0.15], "picks": [1, 1]},
    }
}
DATA_END = datetime(2026, 11, 22)


def fill(engine: Engine, reps: int, per_rep: int, products: int, picks: int) -> None:
    customers = reps * per_rep
    with engine.connect() as conn:
        have = conn.execute(select(func.count()).select_from(SalesRep)).scalar()
        current = conn.execute(select(ModelVersion.metrics).where(ModelVersion.id == 1)).scalar()
    if have == reps and current == METRICS:
        print(f"data: reusing {reps} reps x {per_rep} accounts")
        return
    with engine.begin() as conn:  # an older fill (no calibration, no purchases): start again
        for table in (RepAssignment, SalesRep, Recommendation, ModelVersion, Transaction):
            conn.execute(delete(table))
        conn.execute(delete(Customer))
        conn.execute(delete(Product))
    print(f"data: {reps} reps, {customers} customers, {customers * 2 * picks} picks ...")
    rng = random.Random(5)
    with engine.begin() as conn:
        conn.execute(
            insert(Product),
            [
                {"id": p, "external_id": f"P{p:05d}", "name": f"Product {p}", "category": "Dairy"}
                for p in range(1, products + 1)
            ],
        )
        conn.execute(
            insert(Customer),
            [
                {
                    "id": c,
                    "external_id": f"C{c:06d}",
                    "name": f"Customer {c:06d}",
                    "segment": "Restaurants",
                }
                for c in range(1, customers + 1)
            ],
        )
        conn.execute(
            insert(ModelVersion).values(
                id=1,
                status="live",
                arch="ranker",
                trained_at=datetime(2026, 11, 23),
                data_to=DATA_END,
                metrics=METRICS,
            )
        )
        rows, lines = [], []
        for c in range(1, customers + 1):
            chosen = rng.sample(range(1, products + 1), 2 * picks)
            for p in chosen[:2]:  # two reorders, weekly or fortnightly, last 0-4 weeks ago
                every, last = 7 * rng.randint(1, 2), rng.randint(0, 28)
                lines += [
                    {
                        "customer_id": c,
                        "product_id": p,
                        "quantity": 3,
                        "amount": 15.0,
                        "occurred_at": DATA_END - timedelta(days=last + every * i),
                    }
                    for i in range(5)
                ]
            for mode, part in (("all", chosen[:picks]), ("new", chosen[picks:])):
                for rank, p in enumerate(part, 1):
                    rows.append(
                        {
                            "model_version_id": 1,
                            "customer_id": c,
                            "mode": mode,
                            "rank": rank,
                            "product_id": p,
                            "score": rng.random(),
                            "reason": f"reorder: bought in {rng.randint(3, 12)} of last 12 weeks",
                        }
                    )
        conn.execute(insert(Recommendation), rows)
        conn.execute(insert(Transaction), lines)
        conn.execute(
            insert(SalesRep),
            [
                {
                    "id": r,
                    "email": f"rep{r:04d}@example.com",
                    "name": f"Rep {r:04d}",
                    "slack_user_id": None if r % 10 == 0 else f"U{r:07d}",
                    "time_zone": ZONES[r % len(ZONES)],
                }
                for r in range(1, reps + 1)
            ],
        )
        conn.execute(
            insert(RepAssignment),
            [
                {"rep_id": r, "customer_id": (r - 1) * per_rep + k}
                for r in range(1, reps + 1)
                for k in range(1, per_rep + 1)
            ],
        )


def forget(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in (DigestDelivery, JobRun, RepDigestSetting):
            conn.execute(delete(table))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/recbot_jobs_bench"
    )
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    ensure_database(args.database_url)
    engine = make_engine(args.database_url)
    upgrade(engine)
    fill(engine, args.reps, args.accounts, products=500, picks=5)
    settings = JobSettings(digest_pace_per_s=0)
    times = []
    with SlackStandIn() as slack:
        slack.users_by_email.update(
            {f"rep{r:04d}@example.com": f"U{r:07d}" for r in range(10, args.reps + 1, 10)}
        )
        client = make_client(BOT_TOKEN, slack.api_url, timeout=10)
        for i in range(args.runs):
            forget(engine)
            slack.reset()
            job = DigestJob(engine, settings, client, Pacer(0), owner=f"bench:{i}")
            started = time.perf_counter()
            report = job.run(datetime.now(UTC), manual=True)
            elapsed = time.perf_counter() - started
            posts = len(slack.delivered("chat.postMessage"))
            assert report.sent == args.reps == posts, (report, posts)
            times.append(elapsed)
            print(
                json.dumps(
                    {
                        "run": i + 1,
                        "seconds": round(elapsed, 2),
                        "sent": report.sent,
                        "failed": report.failed,
                        "dms_received": posts,
                        "lookups": len(slack.calls_to("users.lookupByEmail")),
                    }
                )
            )
    print(
        json.dumps(
            {
                "reps": args.reps,
                "accounts_per_rep": args.accounts,
                "database": engine.dialect.name,
                "median_s": round(statistics.median(times), 2),
                "runs": [round(t, 2) for t in times],
            }
        )
    )


if __name__ == "__main__":
    main()
