"""What the item embeddings learn from: (product bought, product bought next) pairs in time.

As for the ranker (model/training_data.py), windows step back from the end of the data: the
history before T-w is the context, what was bought in the w weeks after it the targets. Each
target (a customer buying y in the window) is paired with products drawn from that customer's
history by recency-decayed frequency, so what a customer bought lately counts most.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from model.data import Interactions
from model.features import decayed


def next_pairs(
    inter: Interactions,
    weeks: int,
    windows: int,
    contexts: int,
    max_pairs: int,
    decay: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """(context, target) product indices from up to `windows` windows of `weeks` weeks.

    A target the customer had already bought is kept (reorders are what most purchases are),
    but never paired with itself. At most max_pairs / windows pairs per window (seeded sample).
    """
    xs, ys = [], []
    cap = max(max_pairs // max(windows, 1), 1)
    hist = inter
    for _ in range(windows):
        hist, labels = hist.shifted(weeks)
        if hist.n_weeks < 1 or labels.nnz == 0:
            break
        own = decayed(hist, decay).tocsr()
        lc, ly = labels.nonzero()
        keep = np.diff(own.indptr)[lc] > 0
        lc, ly = lc[keep], ly[keep]
        if len(lc) * contexts > cap:
            pick = np.sort(rng.choice(len(lc), cap // contexts or 1, replace=False))
            lc, ly = lc[pick], ly[pick]
        c = np.repeat(lc, contexts)
        y = np.repeat(ly, contexts)
        x = draw_from_rows(own, c, rng)
        differ = x != y
        xs.append(x[differ])
        ys.append(y[differ])
    if not xs:
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    return np.concatenate(xs).astype(np.int32), np.concatenate(ys).astype(np.int32)


def draw_from_rows(m: sparse.csr_matrix, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One column per entry of `rows`, drawn with probability proportional to that row's values
    (each row must have a positive sum)."""
    cum = np.cumsum(m.data, dtype=np.float64)
    start, end = m.indptr[rows], m.indptr[rows + 1]
    base = np.where(start > 0, cum[np.maximum(start - 1, 0)], 0.0)
    total = cum[end - 1] - base
    at = np.searchsorted(cum, base + rng.random(len(rows)) * total, side="right")
    return m.indices[np.clip(at, start, end - 1)]
