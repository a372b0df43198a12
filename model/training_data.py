"""What the Keras ranker learns from: time windows of history and labels, sampled training groups.

The data as it was `h` weeks before the end gives the holdout: features from the history before
T-h, labels = what was bought in [T-h, T). Training windows step further back in time: features
before T-2h with labels in [T-2h, T-h), then before T-3h, and so on. Each label (a customer who
bought a product) becomes one group: that product first, then sampled negatives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import ClassVar

import numpy as np
from scipy import sparse

from model.base import TrainingError
from model.data import Interactions
from model.features import FeatureParams, Features, build

MIN_CUSTOMERS, MIN_PRODUCTS, MIN_WEEKS = 3, 2, 3
HOLDOUT_CUSTOMERS = 3000


def check_size(inter: Interactions) -> None:
    """Raise TrainingError unless there are enough customers, products and weeks to train on."""
    if len(inter.c) == 0:
        raise TrainingError("no transactions to train on")
    if inter.n_customers < MIN_CUSTOMERS or inter.n_products < MIN_PRODUCTS:
        raise TrainingError(
            f"too little data to train: {inter.n_customers} customers and {inter.n_products} "
            f"products with purchases (need at least {MIN_CUSTOMERS} and {MIN_PRODUCTS})"
        )
    if inter.n_weeks < MIN_WEEKS:
        raise TrainingError(
            f"too little history to train: {inter.n_weeks} weeks of purchases "
            f"(need at least {MIN_WEEKS})"
        )


def holdout_weeks(inter: Interactions, fixed: int = 0) -> int:
    """`fixed` if set, else 15% of the data's span, 1 to 13 weeks."""
    if fixed:
        return fixed
    return int(np.clip(round(inter.n_weeks * 0.15), 1, 13))


@dataclass(frozen=True)
class TrainingBatch:
    """Training groups of one positive and its sampled negatives, one row per group."""

    # model/network.py's build_ranker inputs, in order, and the fields that feed them
    INPUT_NAMES: ClassVar[tuple[str, ...]] = (
        "product",
        "own",
        "bought",
        "dense",
        "history",
        "history_weight",
    )

    products: np.ndarray  # (n, group) int32: the positive, then the negatives
    own: np.ndarray  # (n, group, len(OWN_FEATURES)): the customer's own history of each
    bought: np.ndarray  # (n, group, 1): 1.0 where the customer bought it before
    dense: np.ndarray  # (n, group, len(DENSE_FEATURES)): neighbours, EASE, popularity
    hist_items: np.ndarray  # (n, HISTORY): the customer tower's products
    hist_w: np.ndarray  # (n, HISTORY): and their weights
    logq: np.ndarray  # (n, group): log expected draws of each candidate, the loss's target

    def __len__(self) -> int:
        return len(self.products)

    @classmethod
    def concatenate(cls, parts: Sequence[TrainingBatch]) -> TrainingBatch:
        """The groups of several windows, one after the other."""
        return cls(
            **{f.name: np.concatenate([getattr(b, f.name) for b in parts]) for f in fields(cls)}
        )

    def take(self, order: np.ndarray) -> TrainingBatch:
        """The groups in `order` (a permutation shuffles them)."""
        return TrainingBatch(**{f.name: getattr(self, f.name)[order] for f in fields(self)})

    def inputs(self) -> list[np.ndarray]:
        """The Keras inputs, in the order of INPUT_NAMES."""
        return [self.products, self.own, self.bought, self.dense, self.hist_items, self.hist_w]


def training_batch(
    hist: Interactions,
    weeks: int,
    windows: int,
    max_groups: int,
    negatives: int,
    fp: FeatureParams,
    rng: np.random.Generator,
) -> TrainingBatch:
    """Groups from up to `windows` windows of `weeks` weeks, stepping back in time from `hist`.

    Each window samples at most max_groups / windows positives. Raises TrainingError when not
    even one window has history before it and labels in it.
    """
    parts: list[TrainingBatch] = []
    cap = max_groups // max(windows, 1)
    for i in range(windows):
        hist, labels = hist.shifted(weeks)
        if hist.n_weeks < 1 or labels.nnz == 0:
            break
        if i >= 2 and all(len(b) >= cap for b in parts):
            break  # windows already full: more history adds time, not information
        lc, lp = label_sample(labels, hist, cap, rng)
        lr, lcol = labels.nonzero()
        keys = np.unique(lr.astype(np.int64) * hist.n_products + lcol)
        f = build(hist, fp, np.unique(lc))
        parts.append(sample_groups(f, lc, lp, keys, negatives, hist.n_products, rng))
    if not parts:
        raise TrainingError(f"too little history to train: need more than {2 * weeks} weeks")
    return TrainingBatch.concatenate(parts)


def label_sample(
    labels: sparse.csr_matrix, hist: Interactions, cap: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Positive pairs of customers with history, a seeded sample of `cap` beyond the cap."""
    has_hist = np.bincount(hist.c, minlength=hist.n_customers) > 0
    lc, lp = labels.nonzero()
    keep = has_hist[lc]
    lc, lp = lc[keep], lp[keep]
    if len(lc) > cap:  # enough groups to learn a few hundred weights; keeps big data fast
        pick = np.sort(rng.choice(len(lc), cap, replace=False))
        lc, lp = lc[pick], lp[pick]
    return lc, lp


def sample_groups(
    f: Features,
    lc: np.ndarray,
    lp: np.ndarray,
    label_keys: np.ndarray,
    negatives: int,
    n_products: int,
    rng: np.random.Generator,
) -> TrainingBatch:
    """Groups of (positive, sampled negatives) for the positive pairs (lc, lp).

    A third of the negatives are drawn by popularity, a third from the customer's own history and
    the rest uniformly; `label_keys` (customer * n_products + product) are the pairs bought in the
    label window, which are never negatives.
    """
    k, n = negatives, len(lc)
    n_own, n_pop = k // 3, k // 3
    pop_w = (f.pop_count + 1.0) ** 0.75
    pop_w /= pop_w.sum()
    neg = np.empty((n, k), np.int64)
    neg[:, :n_pop] = rng.choice(n_products, (n, n_pop), p=pop_w)
    neg[:, n_pop + n_own :] = rng.integers(0, n_products, (n, k - n_pop - n_own))
    start, length = f.own.indptr[lc], np.diff(f.own.indptr)[lc]
    pick = start[:, None] + (rng.random((n, n_own)) * length[:, None]).astype(np.int64)
    neg[:, n_pop : n_pop + n_own] = f.own.indices[pick]
    # a sampled negative the customer did buy in the label window is replaced by a random one
    clash = np.isin(lc[:, None].astype(np.int64) * n_products + neg, label_keys)
    neg[clash] = rng.integers(0, n_products, int(clash.sum()))
    p = np.concatenate([lp[:, None], neg], axis=1).astype(np.int32)
    c = np.broadcast_to(lc[:, None], p.shape).astype(np.int32)
    own, bought = f.own_at(c.ravel(), p.ravel())
    dense = f.dense_at(c.ravel(), p.ravel())
    g = p.shape[1]
    # expected times each candidate is drawn: the sampled-softmax log-Q correction
    q = (
        n_pop * pop_w[p]
        + (k - n_pop - n_own) / n_products
        + n_own * bought.reshape(n, g) / np.maximum(length, 1)[:, None]
    )
    return TrainingBatch(
        products=p,
        own=own.reshape(n, g, -1),
        bought=bought.reshape(n, g, 1),
        dense=dense.reshape(n, g, -1),
        hist_items=f.hist_items[lc],
        hist_w=f.hist_w[lc],
        logq=np.log(np.maximum(q, 1e-9)).astype(np.float32),
    )


def sample_holdout(
    labels: sparse.csr_matrix, n: int, seed: int
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Keep the labels of at most n (seeded) customers: the holdout stays cheap on big data."""
    rows = np.flatnonzero(np.diff(labels.indptr) > 0)
    if len(rows) > n:
        rows = np.sort(np.random.default_rng(seed).choice(rows, n, replace=False))
    keep = np.zeros(labels.shape[0], np.float32)
    keep[rows] = 1.0
    out = sparse.diags(keep) @ labels
    out.eliminate_zeros()
    return out.tocsr(), rows
