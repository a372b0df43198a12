"""Every customer's top products in both modes, with reasons, ready for the serving table."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from scipy import sparse

from model.data import Interactions
from model.evaluate import top_k
from model.features import Features
from model.parallel import ordered_map
from model.reasons import neighbour_counts, reasons

TOP_N = 50
# version, customer, mode, rank, product, score, reason
Row = tuple[int, int, str, int, int, float, str]


def recommendation_rows(
    score,
    f: Features,
    inter: Interactions,
    version_id: int,
    n: int = TOP_N,
    chunk: int = 1024,
    workers: int | None = None,
) -> Iterator[list[Row]]:
    """Serving rows, one list per chunk of customers, for both modes, in customer order.

    Chunks are scored on `workers` threads (default TRAIN_WORKERS) while the caller writes the
    ones before them."""
    seg_top = segment_top(inter, f, n)
    segs = inter.segments if inter.segments is not None else None
    seg_sets = {s: set(items.tolist()) for s, (items, _) in seg_top.items() if s}
    bought = f.own
    cids, pids = inter.customer_ids, inter.product_ids

    def chunk_rows(rows: np.ndarray) -> list[Row]:
        scores = score(rows)
        nbr = neighbour_counts(f, rows)
        out: list[Row] = []
        for mode in ("all", "new"):
            top = top_k(scores, n, bought[rows] if mode == "new" else None)
            sc = np.take_along_axis(scores, top, axis=1)
            if mode == "new":  # fewer unbought products than n: drop the excluded slots
                sc = np.where(_is_bought(bought, rows, top), -np.inf, sc)
            r_local, rank = np.nonzero(np.isfinite(sc))
            c_idx, p_idx = rows[r_local], top[r_local, rank]
            why = reasons(f, nbr[r_local, p_idx], c_idx, p_idx, segs, seg_sets)
            out.extend(
                zip(
                    [version_id] * len(c_idx),
                    cids[c_idx].tolist(),
                    [mode] * len(c_idx),
                    (rank + 1).tolist(),
                    pids[p_idx].tolist(),
                    sc[r_local, rank].astype(float).tolist(),
                    why,
                    strict=True,
                )
            )
        out.sort(key=lambda r: (r[1], r[2], r[3]))  # primary-key order: B-tree appends only
        return out

    chunks = (
        np.arange(s, min(s + chunk, inter.n_customers)) for s in range(0, inter.n_customers, chunk)
    )
    yield from ordered_map(chunk_rows, chunks, workers)


def _is_bought(bought: sparse.csr_matrix, rows: np.ndarray, top: np.ndarray) -> np.ndarray:
    sub = bought[rows]
    return np.array(
        [np.isin(top[i], sub.indices[sub.indptr[i] : sub.indptr[i + 1]]) for i in range(len(rows))]
    ).reshape(top.shape)


def segment_top(inter: Interactions, f: Features, n: int = TOP_N) -> dict[str, tuple]:
    """Most bought products overall ('') and per customer segment: (product indices, counts)."""
    binary = f.own.copy()
    binary.data[:] = 1.0
    out = {"": _top_counts(np.asarray(binary.sum(axis=0)).ravel(), n)}
    if inter.segments is not None:
        for seg in sorted(set(inter.segments.tolist()) - {""}):
            mask = inter.segments == seg
            out[seg] = _top_counts(np.asarray(binary[mask].sum(axis=0)).ravel(), n)
    return out


def _top_counts(counts: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(-counts, kind="stable")[:n]
    order = order[counts[order] > 0]
    return order, counts[order]


def cold_start_rows(
    inter: Interactions, f: Features, version_id: int, n: int = TOP_N
) -> list[tuple[int, str, int, int, float, str]]:
    """Popularity lists for customers without history: per segment, and '' for everyone."""
    rows = []
    for seg, (items, counts) in segment_top(inter, f, n).items():
        for rank, (i, cnt) in enumerate(zip(items, counts, strict=True), start=1):
            why = (
                f"popular with {seg} accounts: {int(cnt)} buy it"
                if seg
                else f"popular: bought by {int(cnt)} accounts"
            )
            rows.append((version_id, seg, rank, int(inter.product_ids[i]), float(cnt), why))
    return rows
