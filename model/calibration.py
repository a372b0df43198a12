"""From a raw score to the chance it comes true: a calibration fitted on the holdout weeks.

A ranker's scores order one customer's products, but their scale means nothing to a rep and is
not comparable from one customer to the next. On the holdout, each holdout customer's top
products (as they would have been served at the cutoff) either were or were not bought in the
next `h` weeks; binning those outcomes by score and making the rates non-decreasing (pool
adjacent violators) gives, per mode, a step function: score -> share of such picks bought.
It is stored with the version's metrics; db/strength.py reads it to label picks.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import sparse

from model.evaluate import top_k

TOP = 50  # the precomputed list's length: every served pick has a rank within it
BINS = 20
MODES = ("all", "new")


def calibrate(
    score: Callable[[np.ndarray], np.ndarray],
    labels: sparse.csr_matrix,
    bought: sparse.csr_matrix,
    horizon_weeks: int,
    max_customers: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """Per mode, score lower edges and the share of picks at or above each that were bought.

    The customers are those with history who bought anything in the holdout (the accounts a
    rep is talking to); `labels` and `bought` share the index space of `score`.
    """
    active = (np.diff(labels.indptr) > 0) & (np.diff(bought.indptr) > 0)
    rows = np.flatnonzero(active)
    if len(rows) > max_customers:
        rows = np.sort(np.random.default_rng(seed).choice(rows, max_customers, replace=False))
    out: dict[str, Any] = {"horizon_weeks": int(horizon_weeks), "customers": len(rows)}
    for mode in MODES:
        scores, hits = _outcomes(score, labels, bought, rows, mode)
        out[mode] = step_function(scores, hits)
    return out


def _outcomes(
    score: Callable[[np.ndarray], np.ndarray],
    labels: sparse.csr_matrix,
    bought: sparse.csr_matrix,
    rows: np.ndarray,
    mode: str,
    chunk: int = 1024,
) -> tuple[np.ndarray, np.ndarray]:
    """The score of every top-TOP pick of `rows` in `mode`, and whether it was bought."""
    scores, hits = [], []
    for s in range(0, len(rows), chunk):
        part = rows[s : s + chunk]
        raw = score(part)
        top = top_k(raw, TOP, bought[part] if mode == "new" else None)
        picked = np.take_along_axis(raw, top, axis=1)
        if mode == "new":  # fewer unbought products than TOP: drop the excluded slots
            picked = np.where(_is_in(bought[part], top), -np.inf, picked)
        got = _is_in(labels[part], top)
        keep = np.isfinite(picked)
        scores.append(picked[keep])
        hits.append(got[keep])
    if not scores:
        return np.empty(0, np.float32), np.empty(0, bool)
    return np.concatenate(scores), np.concatenate(hits)


def _is_in(matrix: sparse.csr_matrix, top: np.ndarray) -> np.ndarray:
    """Whether each top[i, j] is a stored entry of row i of `matrix`."""
    return np.array(
        [
            np.isin(top[i], matrix.indices[matrix.indptr[i] : matrix.indptr[i + 1]])
            for i in range(top.shape[0])
        ]
    ).reshape(top.shape)


def step_function(scores: np.ndarray, hits: np.ndarray, bins: int = BINS) -> dict[str, list]:
    """Equal-count score bins, their hit rates made non-decreasing in score (weighted PAV).

    `edges[i]` is the lowest score of bin i; `rates[i]` the share of its picks that were bought;
    `picks[i]` how many picks it holds. Bins that tie on their lowest score are merged."""
    if len(scores) == 0:
        return {"edges": [], "rates": [], "picks": []}
    order = np.argsort(scores, kind="stable")
    s, h = np.asarray(scores, np.float64)[order], np.asarray(hits, np.float64)[order]
    cuts = np.unique(np.linspace(0, len(s), min(bins, len(s)) + 1).astype(int))
    blocks: list[list[float]] = []  # [lowest score, hits, picks]
    for lo, hi in itertools.pairwise(cuts):
        if blocks and s[lo] == blocks[-1][0]:
            blocks[-1][1] += h[lo:hi].sum()
            blocks[-1][2] += hi - lo
        else:
            blocks.append([s[lo], h[lo:hi].sum(), hi - lo])
    pooled: list[list[float]] = []
    for edge, got, n in blocks:  # pool adjacent violators: merge while a rate falls
        pooled.append([edge, got, n])
        while len(pooled) > 1 and pooled[-2][1] / pooled[-2][2] > pooled[-1][1] / pooled[-1][2]:
            _, got2, n2 = pooled.pop()
            pooled[-1][1] += got2
            pooled[-1][2] += n2
    return {
        "edges": [round(float(e), 6) for e, _, _ in pooled],
        "rates": [round(float(g / n), 4) for _, g, n in pooled],
        "picks": [int(n) for _, _, n in pooled],
    }
