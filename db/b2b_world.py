"""The b2b profile's hidden structure: products, segments, customers and their regular products.

Everything here is per product, per customer or per customer-product pair, so it stays small; the
purchase lines are drawn from it in customer chunks by `db/b2b_lines.py`. The random numbers are
drawn in the same order as the original all-in-memory generator, so a seed gives the same data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

DEFAULT_END = datetime(2026, 11, 2)  # a Monday; fixed so the same seed gives the same file
SEGMENTS = ["Restaurants", "Hotels", "Hospitals", "Schools", "Offices", "Retail"]
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


@dataclass(frozen=True)
class B2BParams:
    customers: int = 2000
    products: int = 500
    weeks: int = 104
    rows: int | None = None  # exact number of lines; None keeps the natural volume
    density: float = 1.0  # scales regular baskets and exploration (denser data)
    seed: int = 7
    end: datetime = DEFAULT_END


@dataclass
class World:
    """What the lines are drawn from; `rng_state` is the random stream right after drawing it."""

    params: B2BParams
    scale: float
    category: np.ndarray  # per product
    price: np.ndarray
    launch: np.ndarray
    seasonal: np.ndarray
    season_start: np.ndarray
    season_len: np.ndarray
    seg_weights: np.ndarray  # (segments, products): each segment's basket
    segment: np.ndarray  # per customer
    start: np.ndarray
    churn: np.ndarray
    explore_rate: np.ndarray
    pair_c: np.ndarray  # regular customer-product pairs, sorted by customer then product
    pair_p: np.ndarray
    period: np.ndarray
    phase: np.ndarray
    reliability: np.ndarray
    adopted: np.ndarray
    typical_qty: np.ndarray
    rng_state: dict[str, Any]

    @property
    def n_customers(self) -> int:
        return self.params.customers

    @property
    def n_products(self) -> int:
        return self.params.products

    @property
    def n_weeks(self) -> int:
        return self.params.weeks

    @property
    def first_monday(self) -> datetime:
        return self.params.end - timedelta(weeks=self.n_weeks - 1)

    def active(self, products: np.ndarray, week_grid: np.ndarray) -> np.ndarray:
        """Whether each product is on sale in each week: launched, and in season if seasonal."""
        week_of_year = week_grid % 52
        ok = week_grid >= self.launch[products][:, None]
        in_season = ((week_of_year - self.season_start[products][:, None]) % 52) < (
            self.season_len[products][:, None]
        )
        return ok & (~self.seasonal[products][:, None] | in_season)

    def pairs_of(self, c0: int, c1: int) -> slice:
        """The regular pairs of customers c0 <= c < c1."""
        lo, hi = np.searchsorted(self.pair_c, [c0, c1])
        return slice(int(lo), int(hi))


def build_world(p: B2BParams, scale: float) -> World:
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
    return World(
        params=p,
        scale=scale,
        category=category,
        price=price,
        launch=launch,
        seasonal=seasonal,
        season_start=season_start,
        season_len=season_len,
        seg_weights=seg_weights,
        segment=segment,
        start=start,
        churn=churn,
        explore_rate=0.6 * p.density * size * scale,
        pair_c=pair_c,
        pair_p=pair_p,
        period=period,
        phase=phase,
        reliability=reliability,
        adopted=adopted,
        typical_qty=typical_qty,
        rng_state=dict(rng.bit_generator.state),
    )


def _unique_pairs(c: np.ndarray, p: np.ndarray, n_p: int) -> tuple[np.ndarray, np.ndarray]:
    key = np.unique(c.astype(np.int64) * n_p + p)
    return key // n_p, key % n_p
