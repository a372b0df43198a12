"""Synthetic transaction data: the original blog's `seed` data and a realistic `b2b` profile.

The b2b profile has hidden structure a good model should find: customer segments with different
baskets, products reordered on regular cycles, seasonal and newly launched products, a long tail
of popularity, accounts that join late or churn, and products that accounts adopt over time
(the ground truth for "new for this customer").
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

TRANSACTION_COLUMNS = [
    "customer_id",
    "product_id",
    "quantity",
    "occurred_at",
    "customer_name",
    "product_name",
    "amount",
]
DEFAULT_END = datetime(2026, 11, 2)  # a Monday; fixed so the same seed gives the same file
SEGMENTS = ["Restaurants", "Hotels", "Hospitals", "Schools", "Offices", "Retail"]
REGIONS = ["North", "South", "East", "West"]
CATEGORIES = [
    "Beverages",
    "Dairy",
    "Dry goods",
    "Frozen",
    "Produce",
    "Bakery",
    "Cleaning",
    "Paper",
    "Packaging",
    "Office",
    "Safety",
    "Kitchenware",
]
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


@dataclass(frozen=True)
class B2BParams:
    customers: int = 2000
    products: int = 500
    weeks: int = 104
    rows: int | None = None  # exact number of lines; None keeps the natural volume
    density: float = 1.0  # scales regular baskets and exploration (denser data)
    seed: int = 7
    end: datetime = DEFAULT_END


def seed_profile(rows: int, seed: int = 7, end: datetime = DEFAULT_END) -> pd.DataFrame:
    """The original blog's data: 100 customers, 5 product classes, 52 weekly dates.

    The first half of the rows has random classes with counts 1-4; the second half is all class 4
    with count 4, so there are at most 500 distinct customer-product pairs.
    """
    rng = np.random.default_rng(seed)
    first = rows // 2
    customers = rng.integers(0, 100, rows)
    products = np.where(np.arange(rows) < first, rng.integers(0, 5, rows), 4)
    counts = np.where(np.arange(rows) < first, rng.integers(1, 5, rows), 4)
    week_starts = pd.date_range(end=end, periods=52, freq="7D")
    dates = week_starts[rng.integers(0, 52, rows)]
    return pd.DataFrame(
        {
            "customer_id": pd.Series(customers).map("customer-{:03d}".format),
            "product_id": pd.Series(products).map("class-{}".format),
            "quantity": counts,
            "occurred_at": dates.strftime("%Y-%m-%d"),
        }
    )


@dataclass
class B2BData:
    transactions: pd.DataFrame
    customers: pd.DataFrame
    products: pd.DataFrame
    reps: pd.DataFrame


def b2b_profile(params: B2BParams = B2BParams()) -> B2BData:
    """Realistic B2B purchases; with `rows` set, the volume is scaled to about that many lines."""
    scale = 1.0
    data = _b2b(params, scale=scale)
    if params.rows:
        for _ in range(6):  # volume grows sub-linearly with scale: step until there is enough
            if len(data.transactions) >= params.rows:
                break
            scale *= 1.15 * params.rows / max(len(data.transactions), 1)
            data = _b2b(params, scale=scale)
        if len(data.transactions) > params.rows:
            keep = np.random.default_rng(params.seed + 1).choice(
                len(data.transactions), params.rows, replace=False
            )
            data.transactions = data.transactions.iloc[np.sort(keep)].reset_index(drop=True)
    return data


def _b2b(p: B2BParams, scale: float) -> B2BData:
    rng = np.random.default_rng(p.seed)
    n_c, n_p, n_w = p.customers, p.products, p.weeks
    n_seg = len(SEGMENTS)

    # Products: a category, a long-tail popularity, a price, some launched late, some seasonal.
    category = rng.integers(0, len(CATEGORIES), n_p)
    popularity = 1.0 / (1.0 + np.arange(n_p)) ** 0.9
    popularity = popularity[rng.permutation(n_p)]
    price = np.round(rng.lognormal(2.5, 0.8, n_p), 2)
    launch = np.where(rng.random(n_p) < 0.12, rng.integers(n_w // 4, n_w, n_p), 0)
    seasonal = rng.random(n_p) < 0.08
    season_start = rng.integers(0, 52, n_p)
    season_len = rng.integers(6, 14, n_p)

    # Segments prefer different categories.
    affinity = rng.dirichlet(np.full(len(CATEGORIES), 0.4), n_seg)
    seg_weights = affinity[:, category] * popularity  # (segments, products)
    seg_weights /= seg_weights.sum(axis=1, keepdims=True)

    # Customers: a segment, a size, a start week, some churn.
    segment = rng.integers(0, n_seg, n_c)
    size = rng.lognormal(0.0, 0.6, n_c)
    start = np.where(rng.random(n_c) < 0.15, rng.integers(0, n_w // 2, n_c), 0)
    churn = np.where(rng.random(n_c) < 0.08, rng.integers(n_w // 3, n_w, n_c), n_w)

    weeks = np.arange(n_w)
    week_of_year = weeks % 52

    def active(products: np.ndarray, week_grid: np.ndarray) -> np.ndarray:
        ok = week_grid >= launch[products][:, None]
        in_season = ((week_of_year[week_grid] - season_start[products][:, None]) % 52) < (
            season_len[products][:, None]
        )
        return ok & (~seasonal[products][:, None] | in_season)

    # Regular products: bought on a cycle, each adopted at some week (most from the start).
    n_regular = np.maximum(2, rng.poisson(8 * p.density * np.sqrt(size) * scale**0.5))
    pair_c = np.repeat(np.arange(n_c), n_regular)
    pair_p = np.empty(len(pair_c), dtype=np.int64)
    for s in range(n_seg):
        rows = np.flatnonzero(segment[pair_c] == s)
        pair_p[rows] = rng.choice(n_p, len(rows), p=seg_weights[s])
    pair_c, pair_p = _unique_pairs(pair_c, pair_p, n_p)
    period = rng.choice([1, 2, 4, 8], len(pair_c), p=[0.25, 0.35, 0.3, 0.1])
    phase = rng.integers(0, 8, len(pair_c))
    reliability = rng.uniform(0.6, 0.95, len(pair_c))
    adopted = np.where(
        rng.random(len(pair_c)) < 0.25, rng.integers(0, n_w, len(pair_c)), start[pair_c]
    )
    adopted = np.maximum(adopted, launch[pair_p])
    typical_qty = np.maximum(1, np.round(rng.lognormal(1.0, 0.7, len(pair_c)) * size[pair_c]))

    grid = np.broadcast_to(weeks, (len(pair_c), n_w))
    bought = (
        ((grid - phase[:, None]) % period[:, None] == 0)
        & (grid >= adopted[:, None])
        & (grid < churn[pair_c][:, None])
        & active(pair_p, grid)
        & (rng.random(grid.shape) < reliability[:, None])
    )
    rc, rw = np.nonzero(bought)
    reg_c, reg_p, reg_w = pair_c[rc], pair_p[rc], rw
    reg_q = np.maximum(1, rng.poisson(typical_qty[rc]))

    # Exploration: occasional one-off purchases from the segment's basket.
    explore_rate = 0.6 * p.density * size * scale
    n_explore = rng.poisson(explore_rate[:, None] * np.ones(n_w))
    n_explore[(weeks[None, :] < start[:, None]) | (weeks[None, :] >= churn[:, None])] = 0
    ec, ew = np.nonzero(n_explore)
    counts = n_explore[ec, ew]
    ec, ew = np.repeat(ec, counts), np.repeat(ew, counts)
    ep = np.empty(len(ec), dtype=np.int64)
    for s in range(n_seg):
        rows = np.flatnonzero(segment[ec] == s)
        ep[rows] = rng.choice(n_p, len(rows), p=seg_weights[s])
    keep = active(ep, ew[:, None])[:, 0]
    ec, ep, ew = ec[keep], ep[keep], ew[keep]
    eq = rng.integers(1, 4, len(ec))

    c = np.concatenate([reg_c, ec])
    prod = np.concatenate([reg_p, ep])
    w = np.concatenate([reg_w, ew])
    q = np.concatenate([reg_q, eq]).astype(np.int64)
    first_monday = p.end - timedelta(weeks=n_w - 1)
    when = (
        np.datetime64(first_monday, "s")
        + (w * 7 + rng.integers(0, 5, len(w))).astype("timedelta64[D]")
        + rng.integers(7 * 3600, 18 * 3600, len(w)).astype("timedelta64[s]")
    )
    order = np.lexsort((c, when))
    customer_ids = np.array([f"C{i:05d}" for i in range(n_c)])
    customer_names = _company_names(p.seed, segment)
    product_ids = np.array([f"P{i:05d}" for i in range(n_p)])
    product_names = np.array(
        [f"{CATEGORIES[category[i]]} item {i:04d}" for i in range(n_p)], dtype=object
    )
    transactions = pd.DataFrame(
        {
            "customer_id": customer_ids[c[order]],
            "product_id": product_ids[prod[order]],
            "quantity": q[order],
            "occurred_at": pd.to_datetime(when[order]).strftime("%Y-%m-%d %H:%M:%S"),
            "customer_name": customer_names[c[order]],
            "product_name": product_names[prod[order]],
            "amount": np.round(q[order] * price[prod[order]], 2),
        }
    )
    customers = pd.DataFrame(
        {
            "customer_id": customer_ids,
            "name": customer_names,
            "segment": np.array(SEGMENTS)[segment],
            "region": np.array(REGIONS)[rng.integers(0, len(REGIONS), n_c)],
        }
    )
    products = pd.DataFrame(
        {
            "product_id": product_ids,
            "name": product_names,
            "category": np.array(CATEGORIES)[category],
        }
    )
    return B2BData(transactions, customers, products, _reps(rng, customer_ids))


def _unique_pairs(c: np.ndarray, p: np.ndarray, n_p: int) -> tuple[np.ndarray, np.ndarray]:
    key = np.unique(c.astype(np.int64) * n_p + p)
    return key // n_p, key % n_p


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
        chunk.to_csv(
            path,
            mode="w" if i == 0 else "a",
            header=i == 0,
            index=False,
            compression="gzip" if path.suffix == ".gz" else None,
        )


def _chunks(frame: pd.DataFrame, size: int) -> Iterator[pd.DataFrame]:
    for start in range(0, max(len(frame), 1), size):
        yield frame.iloc[start : start + size]
