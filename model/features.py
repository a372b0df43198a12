"""Pair features computed from weekly history: the customer's own purchase pattern, neighbours,
item-item co-purchase and popularity. Shared by the baselines and the Keras ranker.

The neighbour and EASE scores are dense over products, so they are never held for every customer:
`Features` keeps what they are computed from (each customer's neighbours, EASE's item weights) and
`Features.block(rows)` computes them for a chunk of customers, to be used and dropped. Memory is
then the sparse history plus a few (chunk x products) blocks, whatever the number of customers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from model.data import Interactions
from model.parallel import ordered_map
from model.topk import top_columns

HISTORY = 32  # products per customer fed to the customer tower
# customers per (customers x products) block of neighbour/EASE scores: bench/RESULTS.md ("Training
# memory in customer chunks") measures memory and time against it
CUSTOMER_CHUNK = 2048
# cells of one (customers x customers) similarity block in `neighbours`
SIMILARITY_CELLS = 2048 * 8192
# products bought by at least this share of customers enter the similarity as a dense product
POPULAR_SHARE = 0.02
POPULAR_DENSE_MAX = 256  # at most this many: (customers x 256) float32 stays small
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
    vecs: sparse.csr_matrix,
    k: int,
    rows: np.ndarray | None = None,
    normed: sparse.csr_matrix | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The k most cosine-similar other customers of each customer in `rows` (default: all).

    Returns (indices, similarities), one row per customer; rows not asked for stay zero.
    `normed` is l2_rows(vecs) where the caller has it already. Blocks of customers are searched
    on TRAIN_WORKERS threads.
    """
    normed = (l2_rows(vecs) if normed is None else normed).astype(np.float32, copy=False)
    n = normed.shape[0]
    k = max(1, min(k, n - 1))
    chunk = max(16, SIMILARITY_CELLS // max(n, 1))  # a block is chunk x customers
    idx = np.zeros((n, k), np.int32)
    sim = np.zeros((n, k), np.float32)
    want = np.arange(n) if rows is None else np.asarray(rows)
    similarity = Similarity(normed)

    def search(r: np.ndarray) -> None:  # blocks write disjoint rows: safe on any thread
        block = similarity.block(r)
        block[np.arange(len(r)), r] = -1.0
        top = top_columns(block, k)
        idx[r] = top
        sim[r] = np.take_along_axis(block, top, axis=1)

    for _ in ordered_map(search, (want[s : s + chunk] for s in range(0, len(want), chunk))):
        pass
    return idx, np.maximum(sim, 0.0)


class Similarity:
    """Dot products of some rows of `normed` with all of them, as dense blocks.

    Co-purchases of the most popular products are most of a sparse product's work (bought by
    2 % of customers or more, they pair with that share of every block), so those columns are
    multiplied as a dense matrix product and only the rest sparsely. bench/RESULTS.md ("The
    20 M size on both cores") measures what it saves.
    """

    def __init__(self, normed: sparse.csr_matrix) -> None:
        n = normed.shape[0]
        buyers = np.bincount(normed.indices, minlength=normed.shape[1])
        popular = np.argsort(-buyers, kind="stable")[:POPULAR_DENSE_MAX]
        popular = np.sort(popular[buyers[popular] >= POPULAR_SHARE * n])
        rest = np.setdiff1d(np.arange(normed.shape[1]), popular)
        self.dense = normed[:, popular].toarray() if len(popular) else None
        self.sparse = normed[:, rest].tocsr() if len(popular) else normed
        self.sparse_t = self.sparse.T.tocsc()

    def block(self, rows: np.ndarray) -> np.ndarray:
        out = (self.sparse[rows] @ self.sparse_t).toarray()
        if self.dense is not None:
            out += self.dense[rows] @ self.dense.T
        return out


def neighbour_scores(
    vecs: sparse.csr_matrix,
    idx: np.ndarray,
    sim: np.ndarray,
    normed: sparse.csr_matrix | None = None,
) -> np.ndarray:
    """Dense (len(idx) x products): similarity-weighted mean of the neighbours' vectors, for the
    customers whose neighbours are the rows of `idx` and `sim`. `normed` is l2_rows(vecs)."""
    n, k = idx.shape
    w = sparse.csr_matrix(
        (sim.ravel(), idx.ravel(), np.arange(0, n * k + 1, k)), shape=(n, vecs.shape[0])
    )
    norm = sim.sum(axis=1, keepdims=True)
    norm[norm == 0] = 1.0
    unit = l2_rows(vecs) if normed is None else normed
    out = (w @ unit).toarray().astype(np.float32, copy=False)
    out /= norm
    return out


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
    nbr_idx: np.ndarray  # (customers, k): each customer's nearest customers
    nbr_sim: np.ndarray  # (customers, k): and their cosine similarities
    normed: sparse.csr_matrix  # own, each row of unit length: what neighbours share
    binary: sparse.csr_matrix  # own with ones: what EASE reads
    ease_items: np.ndarray  # the products EASE covers
    ease_b: np.ndarray  # (len(ease_items), len(ease_items)) EASE weights
    with_neighbours: np.ndarray  # per customer: whether nbr_idx and nbr_sim were computed
    pop_count: np.ndarray  # customers buying each product
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

    def block(self, rows: np.ndarray) -> CustomerBlock:
        """Log-scaled neighbour and EASE scores of customers `rows` against every product."""
        rows = np.asarray(rows)
        if not self.with_neighbours[rows].all():
            raise ValueError("these features were built for other customers")
        knn = neighbour_scores(self.own, self.nbr_idx[rows], self.nbr_sim[rows], self.normed)
        eas = ease_scores(self.binary[rows], self.ease_items, self.ease_b)
        knn *= 50
        np.log1p(knn, out=knn)
        sign = np.sign(eas)  # in place from here: a block is the largest array there is
        np.abs(eas, out=eas)
        eas *= 50
        np.log1p(eas, out=eas)
        eas *= sign
        return CustomerBlock(self, rows, knn, eas)

    def dense_at(self, c: np.ndarray, p: np.ndarray, chunk: int = CUSTOMER_CHUNK) -> np.ndarray:
        """Dense features at pairs: (n, len(DENSE_FEATURES)), from one block per `chunk`
        customers among `c`."""
        c, p = np.asarray(c), np.asarray(p)
        knn, eas = np.zeros(len(c), np.float32), np.zeros(len(c), np.float32)
        customers, which = np.unique(c, return_inverse=True)
        order = np.argsort(which, kind="stable")
        bounds = np.searchsorted(which[order], np.arange(0, len(customers) + chunk, chunk))
        for i, s in enumerate(range(0, len(customers), chunk)):
            at = order[bounds[i] : bounds[i + 1]]
            b = self.block(customers[s : s + chunk])
            local = which[at] - s
            knn[at], eas[at] = b.knn[local, p[at]], b.ease[local, p[at]]
        return self.dense_with(knn, eas, c, p)

    def dense_with(
        self, knn: np.ndarray, eas: np.ndarray, c: np.ndarray, p: np.ndarray
    ) -> np.ndarray:
        """Dense features at pairs (c, p) whose neighbour and EASE scores are known."""
        return _dense(
            knn,
            eas,
            self.pop[p],
            self.pop_recent[p],
            self.activity[c],
            self.cat_share[c, self.pcat[p]],
            self.product_cols[p],
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


@dataclass
class CustomerBlock:
    """The neighbour and EASE scores of some customers against every product: computed once
    per chunk of customers, read for the pairs and the linear part, then dropped."""

    f: Features
    rows: np.ndarray  # customer indices, one per row of knn and ease
    knn: np.ndarray  # (len(rows), products), log-scaled
    ease: np.ndarray  # (len(rows), products), log-scaled

    def dense_at(self, local: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Dense features at pairs (rows[local], p)."""
        return self.f.dense_with(self.knn[local, p], self.ease[local, p], self.rows[local], p)

    def linear(self, w: np.ndarray) -> np.ndarray:
        """Dense features of these customers against every product, times `w` (one weight per
        feature): (len(rows), products), without materialising the (rows, products, features)
        block."""
        f, rows = self.f, self.rows
        act = f.activity[rows, None]
        out = self.knn * (w[0] + w[4] * act)
        part = self.ease * (w[1] + w[5] * act)
        out += part
        np.take(f.cat_share[rows] * w[6], f.pcat, axis=1, out=part)
        out += part
        out += (f.pop * w[2] + f.pop_recent * w[3] + f.product_cols @ w[7:9])[None, :]
        return out


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
    """All features at `inter.as_of`; neighbours (and so `Features.block`) only for `rows` if
    given."""
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
    normed = l2_rows(own)
    nbr_idx, nbr_sim = neighbours(own, fp.knn_k, rows, normed)
    with_nbr = np.ones(inter.n_customers, bool)
    if rows is not None:  # training windows only need the customers they sample
        with_nbr[:] = False
        with_nbr[rows] = True
    items, b = ease(binary, fp.ease_lambda, fp.ease_items)
    pop_count = np.asarray(binary.sum(axis=0)).ravel()
    recent_c = np.unique(key[inter.week < fp.recent_weeks]) % inter.n_products
    pop_recent = np.bincount(recent_c, minlength=inter.n_products).astype(np.float32)
    n = max(inter.n_customers, 1)
    pop = np.log1p(pop_count / n * 1000).astype(np.float32)
    pop_r = np.log1p(pop_recent / n * 1000).astype(np.float32)
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
        nbr_sim,
        normed,
        binary,
        items,
        b,
        with_nbr,
        pop_count,
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
