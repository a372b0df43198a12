"""Synthetic transaction data: the original blog's `seed` data and a realistic `b2b` profile.

The b2b profile has hidden structure a good model should find: customer segments with different
baskets, products reordered on regular cycles, seasonal and newly launched products, a long tail
of popularity, accounts that join late or churn, and products that accounts adopt over time
(the ground truth for "new for this customer").
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from db.b2b_lines import Plan, after_integers, cursor, find_plan, week_blocks
from db.b2b_world import CATEGORIES, DEFAULT_END, SEGMENTS, B2BParams, World

__all__ = [
    "CATEGORIES",
    "DEFAULT_END",
    "NAME_PREFIXES",
    "NAME_SUFFIXES",
    "REGIONS",
    "SEGMENTS",
    "TRANSACTION_COLUMNS",
    "B2BData",
    "B2BParams",
    "b2b_profile",
    "seed_chunks",
    "seed_profile",
    "write_b2b",
    "write_csv",
    "write_part",
]

TRANSACTION_COLUMNS = [
    "customer_id",
    "product_id",
    "quantity",
    "occurred_at",
    "customer_name",
    "product_name",
    "amount",
]
REGIONS = ["North", "South", "East", "West"]
NAME_PREFIXES = [
    "Acme",
    "Northwind",
    "Bluebird",
    "Granite",
    "Harbor",
    "Summit",
    "Pioneer",
    "Cedar",
    "Maple",
    "Silver",
    "Golden",
    "Riverside",
    "Lakeside",
    "Oak",
    "Evergreen",
    "Redwood",
]
# The last word of a customer's name says what kind of business it is, so it follows the segment.
NAME_SUFFIXES = {
    "Restaurants": ["Bistro", "Grill", "Cafe", "Kitchen", "Diner"],
    "Hotels": ["Hotel", "Inn", "Suites", "Lodge", "Resort"],
    "Hospitals": ["Hospital", "Clinic", "Infirmary", "Care"],
    "Schools": ["School", "Academy", "College"],
    "Offices": ["Partners", "Associates", "Consulting", "Holdings"],
    "Retail": ["Market", "Traders", "Store", "Outfitters"],
}
_NAME_STREAM = 1  # names come from their own random stream: changing them moves no purchase


def seed_profile(rows: int, seed: int = 7, end: datetime = DEFAULT_END) -> pd.DataFrame:
    """The original blog's data: 100 customers, 5 product classes, 52 weekly dates.

    The first half of the rows has random classes with counts 1-4; the second half is all class 4
    with count 4, so there are at most 500 distinct customer-product pairs.
    """
    return pd.concat(seed_chunks(rows, seed, end), ignore_index=True)


def seed_chunks(
    rows: int, seed: int = 7, end: datetime = DEFAULT_END, chunk_rows: int = 500_000
) -> Iterator[pd.DataFrame]:
    """`seed_profile` a chunk at a time: each column has its own cursor on the one random stream
    (customers, classes, counts, weeks were drawn for all rows in turn), so the rows are the same.
    """
    starts = [dict(np.random.default_rng(seed).bit_generator.state)]
    for low, high in ((0, 100), (0, 5), (1, 5)):
        starts.append(after_integers(starts[-1], low, high, rows))
    customers, products, counts, weeks = (cursor(s) for s in starts)
    week_starts = pd.date_range(end=end, periods=52, freq="7D")
    first = rows // 2
    for lo in range(0, max(rows, 1), chunk_rows):
        n = min(chunk_rows, rows - lo)
        early = np.arange(lo, lo + n) < first
        yield pd.DataFrame(
            {
                "customer_id": pd.Series(customers.integers(0, 100, n)).map(
                    "customer-{:03d}".format
                ),
                "product_id": pd.Series(np.where(early, products.integers(0, 5, n), 4)).map(
                    "class-{}".format
                ),
                "quantity": np.where(early, counts.integers(1, 5, n), 4),
                "occurred_at": week_starts[weeks.integers(0, 52, n)].strftime("%Y-%m-%d"),
            }
        )


@dataclass
class B2BData:
    transactions: pd.DataFrame
    customers: pd.DataFrame
    products: pd.DataFrame
    reps: pd.DataFrame


def b2b_profile(params: B2BParams | None = None) -> B2BData:
    """Realistic B2B purchases; with `rows` set, the volume is scaled to about that many lines."""
    found = find_plan(params or B2BParams())
    names = _Names(found.world)
    frames = [names.frame(week) for week in week_blocks(found)]
    return B2BData(pd.concat(frames, ignore_index=True), *names.companions(found))


def write_b2b(params: B2BParams, out: Path, companions: dict[str, Path]) -> int:
    """Stream the b2b profile to `out` a week at a time (flat memory); returns the lines written."""
    found = find_plan(params)
    names = _Names(found.world)
    written = 0
    for i, week in enumerate(week_blocks(found, tmp_dir=out.parent)):
        write_part(names.frame(week), out, first=i == 0)
        written += len(week)
    for frame, kind in zip(names.companions(found), ("customers", "products", "reps"), strict=True):
        write_csv(frame, companions[kind])
    return written


class _Names:
    """Ids, names and prices that turn index-space lines into the transactions file's columns."""

    def __init__(self, world: World) -> None:
        self.world = world
        n_c, n_p = world.n_customers, world.n_products
        self.customer_ids = np.array([f"C{i:05d}" for i in range(n_c)])
        self.customer_names = _company_names(world.params.seed, world.segment)
        self.product_ids = np.array([f"P{i:05d}" for i in range(n_p)])
        self.product_names = np.array(
            [f"{CATEGORIES[world.category[i]]} item {i:04d}" for i in range(n_p)], dtype=object
        )

    def frame(self, lines: np.ndarray) -> pd.DataFrame:
        c, p, q = lines["c"], lines["p"], lines["q"]
        return pd.DataFrame(
            {
                "customer_id": self.customer_ids[c],
                "product_id": self.product_ids[p],
                "quantity": q,
                "occurred_at": pd.to_datetime(lines["when"].astype("datetime64[s]")).strftime(
                    "%Y-%m-%d %H:%M:%S"
                ),
                "customer_name": self.customer_names[c],
                "product_name": self.product_names[p],
                "amount": np.round(q * self.world.price[p], 2),
            }
        )

    def companions(self, found: Plan) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """Customers, products and reps; regions and owners come after every line's draws."""
        world = found.world
        rng = cursor(found.starts["after"])
        customers = pd.DataFrame(
            {
                "customer_id": self.customer_ids,
                "name": self.customer_names,
                "segment": np.array(SEGMENTS)[world.segment],
                "region": np.array(REGIONS)[rng.integers(0, len(REGIONS), world.n_customers)],
            }
        )
        products = pd.DataFrame(
            {
                "product_id": self.product_ids,
                "name": self.product_names,
                "category": np.array(CATEGORIES)[world.category],
            }
        )
        return customers, products, _reps(rng, self.customer_ids)


def _company_names(seed: int, segment: np.ndarray) -> np.ndarray:
    """'<prefix> <suffix> <index>', the suffix fitting the customer's segment."""
    rng = np.random.default_rng([seed, _NAME_STREAM])
    suffixes = [NAME_SUFFIXES[s] for s in SEGMENTS]
    prefix = rng.integers(0, len(NAME_PREFIXES), len(segment))
    suffix = rng.integers(0, np.array([len(s) for s in suffixes])[segment])
    return np.array(
        [
            f"{NAME_PREFIXES[prefix[i]]} {suffixes[s][suffix[i]]} {i:04d}"
            for i, s in enumerate(segment)
        ],
        dtype=object,
    )


def _reps(rng: np.random.Generator, customer_ids: np.ndarray, per_rep: int = 25) -> pd.DataFrame:
    n_reps = max(1, len(customer_ids) // per_rep)
    owner = rng.integers(0, n_reps, len(customer_ids))
    zones = ["Europe/London", "Europe/Berlin", "America/New_York", "America/Chicago", "UTC"]
    return pd.DataFrame(
        {
            "email": [f"rep{i:03d}@example.com" for i in range(n_reps)],
            "name": [f"Rep {i:03d}" for i in range(n_reps)],
            "slack_user_id": "",
            "time_zone": [zones[i % len(zones)] for i in range(n_reps)],
            "customer_ids": [";".join(customer_ids[owner == i]) for i in range(n_reps)],
        }
    )


def write_csv(frame: pd.DataFrame, path: Path, chunk_rows: int = 500_000) -> None:
    """Write in chunks (gzip when the name ends in .gz) so memory stays bounded."""
    for i, chunk in enumerate(_chunks(frame, chunk_rows)):
        write_part(chunk, path, first=i == 0)


def write_part(frame: pd.DataFrame, path: Path, first: bool) -> None:
    frame.to_csv(
        path,
        mode="w" if first else "a",
        header=first,
        index=False,
        compression="gzip" if path.suffix == ".gz" else None,
    )


def _chunks(frame: pd.DataFrame, size: int) -> Iterator[pd.DataFrame]:
    for start in range(0, max(len(frame), 1), size):
        yield frame.iloc[start : start + size]
