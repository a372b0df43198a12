"""Pair features computed from weekly history: the customer's own purchase pattern, neighbours,
item-item co-purchase and popularity. Shared by the baselines and the Keras ranker."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from model.data import Interactions

HISTORY = 32  # products per customer fed to the customer tower
OWN_FEATURES = ["freq", "weeks", "recency", "tenure", "overdue", "share", "log_qty", "last12"]
DENSE_FEATURES = [
    "knn",
    "ease",
    "pop",
    "pop_recent",
    "knn_x_activity",
    "ease_x_activity",
    "category_share",
    "adoption_recent",
    "repeat_rate",
]


def decayed(inter: Interactions, decay: float) -> sparse.csr_matrix:
    """Time-decayed purchase frequency: sum over weeks bought of decay ** weeks_ago."""
    return inter.matrix(decay ** inter.week.astype(np.float32))


def l2_rows(m: sparse.csr_matrix) -> sparse.csr_matrix:
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags(1.0 / norms).dot(m).tocsr()


def neighbours(
    vecs: sparse.csr_matrix, k: int, rows: np.ndarray | None = None, chunk: int = 2048
) -> tuple[np.ndarray, np.ndarray]:
    """The k most cosine-similar other customers of each customer in `rows` (default: all).

    Returns (indices, similarities), one row per customer; rows not asked for stay zero.
    """
    normed = l2_rows(vecs).astype(np.float32)
    n = normed.shape[0]
    k = max(1, min(k, n - 1))
    idx = np.zeros((n, k), np.int32)
    sim = np.zeros((n, k), np.float32)
    want = np.arange(n) if rows is None else np.asarray(rows)
    t = normed.T.tocsc()
    for s in range(0, len(want), chunk):
        r = want[s : s + chunk]
        block = (normed[r] @ t).toarray()
        block[np.arange(len(r)), r] = -1.0
        top = np.argpartition(-block, k - 1, axis=1)[:, :k]
        idx[r] = top
        sim[r] = np.take_along_axis(block, top, axis=1)
    return idx, np.maximum(sim, 0.0)


def neighbour_scores(vecs: sparse.csr_matrix, idx: np.ndarray, sim: np.ndarray) -> np.ndarray:
    """Dense (customers x products): similarity-weighted mean of the neighbours' vectors."""
    n, k = idx.shape
    w = sparse.csr_matrix(
        (sim.ravel(), idx.ravel(), np.arange(0, n * k + 1, k)), shape=(n, vecs.shape[0])
    )
    norm = sim.sum(axis=1, keepdims=True)
    norm[norm == 0] = 1.0
    return (w @ l2_rows(vecs)).toarray().astype(np.float32) / norm


def ease(
    binary: sparse.csr_matrix, lam: float, max_items: int = 4000
) -> tuple[np.ndarray, np.ndarray]:
    """EASE (Steck 2019) item-item weights over the `max_items` most bought items.

    Returns (item indices, B) with zero diagonal; scores are X[:, items] @ B.
    """
    counts = np.asarray(binary.sum(axis=0)).ravel()
    items = np.flatnonzero(counts > 0)
    if len(items) > max_items:
        items = np.sort(np.argsort(-counts, kind="stable")[:max_items])
    x = binary[:, items]
    g = (x.T @ x).toarray().astype(np.float32)
    g[np.diag_indices_from(g)] += lam
    p = np.linalg.inv(g)  # float32 halves the cost; the regularised Gram matrix is well conditioned
    b = -p / np.diag(p)
    b[np.diag_indices_from(b)] = 0.0
    return items, b.astype(np.float32)


def ease_scores(binary: sparse.csr_matrix, items: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.zeros(binary.shape, np.float32)
    out[:, items] = binary[:, items] @ b
    return out


@dataclass
class Features:
    """Everything the ranker reads about customer x product pairs at one point in time."""

    own: sparse.csr_matrix  # bought-before pairs, pattern shared by every own feature
    own_values: np.ndarray  # (nnz, len(OWN_FEATURES)) aligned with own.data
    nbr_idx: np.ndarray
    pop_count: np.ndarray  # customers buying each product
    knn: np.ndarray  # log-scaled neighbour scores (customers x products)
    ease: np.ndarray  # log-scaled EASE scores (customers x products)
    weeks_bought: np.ndarray  # per own pair, aligned with own.data
    recency: np.ndarray  # per own pair: weeks since last purchase
    last12: np.ndarray  # per own pair: weeks bought among the last 12
    pop: np.ndarray  # per product, log-scaled share of customers buying it
    pop_recent: np.ndarray  # the same over the recent weeks
    activity: np.ndarray  # per customer: log number of distinct products bought
    cat_share: np.ndarray  # (customers, categories): share of the customer's weeks x products
    pcat: np.ndarray  # category code per product
    product_cols: np.ndarray  # (products, 2): recent adoption and repeat rate
    hist_items: np.ndarray  # (customers, HISTORY): most bought products, padded with 0
    hist_w: np.ndarray  # (customers, HISTORY): their decayed frequencies, 0 for padding

    def dense_at(self, c: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Dense features at pairs: (n, len(DENSE_FEATURES))."""
        return _dense(
            self.knn[c, p],
            self.ease[c, p],
            self.pop[p],
            self.pop_recent[p],
            self.activity[c],
            self.cat_share[c, self.pcat[p]],
            self.product_cols[p],
        )

    def linear_block(self, rows: np.ndarray | slice, w: np.ndarray) -> np.ndarray:
        """Dense features of customers `rows` against every product, times `w` (one weight per
        feature): (len(rows), products), without materialising the (rows, products, features)
        block."""
        act = self.activity[rows, None]
        return (
            self.knn[rows] * (w[0] + w[4] * act)
            + self.ease[rows] * (w[1] + w[5] * act)
            + (self.pop * w[2] + self.pop_recent * w[3])[None, :]
            + self.cat_share[rows][:, self.pcat] * w[6]
            + (self.product_cols @ w[7:9])[None, :]
        )

    def own_positions(self, c: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Index into own.data of each (customer, product) pair, or -1 if never bought."""
        if not hasattr(self, "_keys"):
            rows = np.repeat(np.arange(self.own.shape[0]), np.diff(self.own.indptr))
            # csr with sorted indices: keys are already increasing
            self._keys = rows.astype(np.int64) * self.own.shape[1] + self.own.indices
        q = c.astype(np.int64) * self.own.shape[1] + p
        if not len(self._keys):
            return np.full(len(q), -1, np.int64)
        i = np.minimum(np.searchsorted(self._keys, q), len(self._keys) - 1)
        return np.where(self._keys[i] == q, i, -1)

    def own_at(self, c: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Own features at pairs, and a 0/1 flag for 'bought before'."""
        pos = self.own_positions(c, p)
        vals = np.zeros((len(c), self.own_values.shape[1]), np.float32)
        hit = pos >= 0
        vals[hit] = self.own_values[pos[hit]]
        return vals, hit.astype(np.float32)


def _dense(
    knn: np.ndarray,
    eas: np.ndarray,
    pop: np.ndarray,
    pop_r: np.ndarray,
    act: np.ndarray,
    cat: np.ndarray,
    prod: np.ndarray,
) -> np.ndarray:
    knn, eas, pop, pop_r, act, cat = np.broadcast_arrays(knn, eas, pop, pop_r, act, cat)
    cols = [knn, eas, pop, pop_r, knn * act, eas * act, cat]
    return np.concatenate([np.stack(cols, axis=-1), prod], axis=-1).astype(np.float32)


@dataclass(frozen=True)
class FeatureParams:
    decay: float = 0.9
    knn_k: int = 50
    ease_lambda: float = 200.0
    ease_items: int = 2500
    recent_weeks: int = 8


def build(inter: Interactions, fp: FeatureParams, rows: np.ndarray | None = None) -> Features:
    """All features at `inter.as_of`; the dense neighbour/EASE scores only for `rows` if given."""
    n_w = max(inter.n_weeks, 1)
    key = inter.c.astype(np.int64) * inter.n_products + inter.p  # rows sorted by c, p, week
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, int)
    wk = inter.week.astype(np.float32)

    def per_pair(values: np.ndarray, op: np.ufunc = np.add) -> np.ndarray:
        if not len(key):
            return np.zeros(0, np.float32)
        return op.reduceat(values.astype(np.float32), starts)

    pk = key[starts]
    pc, pp = (pk // inter.n_products).astype(np.int32), (pk % inter.n_products).astype(np.int32)
    freq_v = per_pair(fp.decay**wk)
    w = per_pair(np.ones_like(wk))
    recency = per_pair(wk, np.minimum)
    first = per_pair(wk, np.maximum)
    last12 = per_pair((wk < 12).astype(np.float32))
    qty = per_pair(np.maximum(inter.qty, 0))
    indptr = np.r_[0, np.cumsum(np.bincount(pc, minlength=inter.n_customers))]
    own = sparse.csr_matrix((freq_v, pp, indptr), shape=(inter.n_customers, inter.n_products))
    cust_weeks = np.asarray(
        sparse.csr_matrix(
            (np.ones(len(inter.c)), (inter.c, inter.week)), shape=(inter.n_customers, n_w)
        )
        .astype(bool)
        .sum(axis=1)
    ).ravel()
    tenure = first - recency + 1
    gap = tenure / np.maximum(w, 1)  # mean weeks between purchases
    own_values = np.stack(
        [
            np.log1p(freq_v * 4),
            np.log1p(w),
            np.log1p(recency),
            np.log1p(first),
            np.clip(recency / np.maximum(gap, 1), 0, 10) / 10,
            w / np.maximum(cust_weeks[pc], 1),
            np.log1p(qty) / 5,
            np.log1p(last12),
        ],
        axis=1,
    ).astype(np.float32)

    binary = sparse.csr_matrix((np.ones_like(freq_v), pp, indptr), shape=own.shape)
    nbr_idx, nbr_sim = neighbours(own, fp.knn_k, rows)
    items, b = ease(binary, fp.ease_lambda, fp.ease_items)
    if rows is None:
        knn = neighbour_scores(own, nbr_idx, nbr_sim)
        eas = ease_scores(binary, items, b)
    else:  # training windows only need the customers they sample
        knn = np.zeros(own.shape, np.float32)
        eas = np.zeros(own.shape, np.float32)
        knn[rows] = neighbour_scores(own, nbr_idx[rows], nbr_sim[rows])
        eas[rows] = ease_scores(binary[rows], items, b)
    pop_count = np.asarray(binary.sum(axis=0)).ravel()
    recent_c = np.unique(key[inter.week < fp.recent_weeks]) % inter.n_products
    pop_recent = np.bincount(recent_c, minlength=inter.n_products).astype(np.float32)
    n = max(inter.n_customers, 1)
    pop = np.log1p(pop_count / n * 1000).astype(np.float32)
    pop_r = np.log1p(pop_recent / n * 1000).astype(np.float32)
    knn = np.log1p(knn * 50, out=knn)
    eas = np.sign(eas) * np.log1p(np.abs(eas) * 50)
    act = (np.log1p(np.diff(indptr)) / 5).astype(np.float32)
    pcat = inter.category_codes()
    n_cat = int(pcat.max()) + 1 if len(pcat) else 1
    by_cat = sparse.csr_matrix((w, (pc, pcat[pp])), shape=(inter.n_customers, n_cat)).toarray()
    share = by_cat / np.maximum(by_cat.sum(axis=1, keepdims=True), 1)
    adopt = np.bincount(pp[first < fp.recent_weeks], minlength=inter.n_products)
    repeat = np.bincount(pp[w >= 2], minlength=inter.n_products) / np.maximum(pop_count, 1)
    prod_cols = np.stack([np.log1p(adopt / n * 1000), repeat], axis=1).astype(np.float32)
    hist_items, hist_w = top_history(own, HISTORY)
    return Features(
        own,
        own_values,
        nbr_idx,
        pop_count,
        knn,
        eas.astype(np.float32),
        w,
        recency,
        last12,
        pop,
        pop_r,
        act,
        share.astype(np.float32),
        pcat,
        prod_cols,
        hist_items,
        hist_w,
    )


def top_history(own: sparse.csr_matrix, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's m most frequent products (decayed): the customer tower's input."""
    n = own.shape[0]
    items, weights = np.zeros((n, m), np.int32), np.zeros((n, m), np.float32)
    lengths = np.diff(own.indptr)
    rows = np.repeat(np.arange(n), lengths)
    order = np.lexsort((-own.data, rows))  # by row, then frequency descending
    rank = np.arange(len(order)) - np.repeat(own.indptr[:-1], lengths)
    keep = rank < m
    items[rows[keep], rank[keep]] = own.indices[order][keep]
    weights[rows[keep], rank[keep]] = own.data[order][keep]
    return items, weights
