"""Offline evaluation, apart from the models: time split, top-k metrics, table, JSON and PNG."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from model.data import Interactions
from model.topk import top_columns

if TYPE_CHECKING:
    from model.base import Recommender

MODES = ("all", "new")
METRICS = ("precision", "recall", "ndcg", "hit_rate", "coverage")


@dataclass
class Truth:
    """What each evaluated customer bought after the cut-off, in train index space."""

    rows: np.ndarray  # customer indices with something to predict
    items: list[np.ndarray]  # known product indices bought (unknown products cannot be hit)
    sizes: np.ndarray  # number of distinct products bought, unknown ones included


def truth_from_pairs(inter: Interactions, pairs: Iterable[tuple], mode: str) -> Truth:
    """Customers present on both sides; in mode 'new' only products they never bought before."""
    c_index = {v: i for i, v in enumerate(inter.customer_ids.tolist())}
    p_index = {v: i for i, v in enumerate(inter.product_ids.tolist())}
    bought = inter.matrix().tocsr()
    per: dict[int, list[int]] = {}
    for c, p in pairs:
        ci = c_index.get(c)
        if ci is not None:
            per.setdefault(ci, []).append(p_index.get(p, -1))
    rows, items, sizes = [], [], []
    for ci in sorted(per):
        got = np.array(per[ci], np.int64)
        if mode == "new":
            seen = bought.indices[bought.indptr[ci] : bought.indptr[ci + 1]]
            got = got[~np.isin(got, seen)]
        if len(got):
            rows.append(ci)
            items.append(got[got >= 0])
            sizes.append(len(got))
    return Truth(np.array(rows, np.int64), items, np.array(sizes))


def top_k(scores: np.ndarray, k: int, exclude: sparse.csr_matrix | None = None) -> np.ndarray:
    """Indices of the k best products per row, best first; `exclude` rows mark forbidden ones."""
    scores = scores.astype(np.float32, copy=True)
    if exclude is not None:
        r, c = exclude.nonzero()
        scores[r, c] = -np.inf
    k = min(k, scores.shape[1])
    part = top_columns(scores, k)
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def truth_from_labels(labels: sparse.csr_matrix, bought: sparse.csr_matrix, mode: str) -> Truth:
    """Holdout truth per customer who has history and bought something in the label window."""
    rows = np.repeat(np.arange(labels.shape[0]), np.diff(labels.indptr))
    items = labels.indices
    if mode == "new":  # only what the customer had not bought before
        n = labels.shape[1]
        before = np.repeat(np.arange(bought.shape[0], dtype=np.int64), np.diff(bought.indptr))
        known = before * n + bought.indices
        if len(known) > 1 and not (known[1:] >= known[:-1]).all():
            known = np.sort(known)
        asked = rows.astype(np.int64) * n + items
        at = np.minimum(np.searchsorted(known, asked), max(len(known) - 1, 0))
        fresh = known[at] != asked if len(known) else np.ones(len(asked), bool)
        rows, items = rows[fresh], items[fresh]
    has_hist = np.diff(bought.indptr) > 0
    keep = has_hist[rows]
    rows, items = rows[keep], items[keep]
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]) if len(rows) else rows
    sizes = np.diff(np.r_[starts, len(rows)])
    per_row = np.split(items, starts[1:]) if len(rows) else []
    return Truth(rows[starts].astype(np.int64), per_row, sizes)


def metrics_at_k(recs: np.ndarray, truth: Truth, n_products: int, k: int = 10) -> dict[str, float]:
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    prec, rec, ndcg, hit = [], [], [], []
    for r, items, size in zip(recs, truth.items, truth.sizes, strict=True):
        rel = np.isin(r[:k], items)
        h = rel.sum()
        prec.append(h / k)
        rec.append(h / size)
        ideal = discounts[: min(size, k)].sum()
        ndcg.append((rel * discounts[: len(rel)]).sum() / ideal)
        hit.append(float(h > 0))
    cover = len(np.unique(recs[:, :k])) / max(n_products, 1)
    return {
        "precision": float(np.mean(prec)),
        "recall": float(np.mean(rec)),
        "ndcg": float(np.mean(ndcg)),
        "hit_rate": float(np.mean(hit)),
        "coverage": cover,
    }


def evaluate_scores(
    score: Callable[[np.ndarray], np.ndarray],
    inter: Interactions,
    truths: dict[str, Truth],
    k: int = 10,
    chunk: int = 1024,
) -> dict:
    """Metrics per mode for a scoring function rows -> (len(rows), products)."""
    bought = inter.matrix().tocsr()
    out = {}
    for mode, truth in truths.items():
        recs = []
        for s in range(0, len(truth.rows), chunk):
            rows = truth.rows[s : s + chunk]
            recs.append(top_k(score(rows), k, bought[rows] if mode == "new" else None))
        all_recs = np.concatenate(recs) if recs else np.zeros((0, k), np.int64)
        out[mode] = metrics_at_k(all_recs, truth, inter.n_products, k)
        out[mode]["customers"] = len(truth.rows)
    return out


def holdout_metrics(
    score: Callable[[np.ndarray], np.ndarray],
    labels: sparse.csr_matrix,
    bought: sparse.csr_matrix,
    k: int = 10,
    max_customers: int = 2000,
    seed: int = 0,
) -> dict[str, float]:
    """NDCG@k per mode on a holdout: `labels` bought after the history `bought` (index space)."""
    out = {}
    for mode in MODES:
        truth = truth_from_labels(labels, bought, mode)
        if len(truth.rows) > max_customers:  # a fixed subsample keeps each epoch cheap
            keep = np.sort(
                np.random.default_rng(seed).choice(len(truth.rows), max_customers, replace=False)
            )
            truth = Truth(truth.rows[keep], [truth.items[i] for i in keep], truth.sizes[keep])
        if not len(truth.rows):
            out[mode] = 0.0
            continue
        recs = np.concatenate(
            [
                top_k(
                    score(truth.rows[s : s + 1024]),
                    k,
                    bought[truth.rows[s : s + 1024]] if mode == "new" else None,
                )
                for s in range(0, len(truth.rows), 1024)
            ]
        )
        out[mode] = metrics_at_k(recs, truth, labels.shape[1], k)["ndcg"]
    return out


def recent_queries(
    inter: Interactions,
    rows: np.ndarray,
    recent_weeks: int = 4,
    per_customer: int = 3,
    max_queries: int = 5000,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """(customer, product) pairs to ask for neighbours of: up to `per_customer` of the products
    each customer in `rows` bought in its last `recent_weeks` weeks, most recent first; a seeded
    sample of `max_queries` beyond that. Customers with no recent purchase give no query."""
    want = np.zeros(inter.n_customers, bool)
    want[rows] = True
    keep = want[inter.c] & (inter.week < recent_weeks)
    c, p, wk = inter.c[keep], inter.p[keep], inter.week[keep]
    order = np.lexsort((p, wk, c))  # per customer, most recent week first
    c, p = c[order], p[order]
    pair = c.astype(np.int64) * inter.n_products + p
    _, idx = np.unique(pair, return_index=True)  # each product once, at its most recent week
    once = np.zeros(len(pair), bool)
    once[idx] = True
    c, p = c[once], p[once]
    starts = np.r_[0, np.flatnonzero(c[1:] != c[:-1]) + 1] if len(c) else np.zeros(0, int)
    rank = np.arange(len(c)) - np.repeat(starts, np.diff(np.r_[starts, len(c)]))
    c, p = c[rank < per_customer], p[rank < per_customer]
    if len(c) > max_queries:
        pick = np.sort(np.random.default_rng(seed).choice(len(c), max_queries, replace=False))
        c, p = c[pick], p[pick]
    return c.astype(np.int64), p.astype(np.int64)


def neighbour_metrics(
    similarity: Callable[[np.ndarray], np.ndarray],
    inter: Interactions,
    truths: dict[str, Truth],
    k: int = 10,
    recent_weeks: int = 4,
    max_queries: int = 5000,
    seed: int = 0,
    chunk: int = 512,
) -> dict[str, dict[str, float]]:
    """How well a product's neighbours predict what its buyers buy next, per mode.

    For a customer who bought X in the last `recent_weeks` weeks of `inter`, X's top k
    neighbours (X itself left out; in mode 'new' also what the customer bought before) are
    scored against what the customer bought after (`truths`, as for ranking). `similarity`
    gives (len(items), products) scores for product indices, higher is more similar.
    """
    bought = inter.matrix().tocsr()
    out: dict[str, dict[str, float]] = {}
    for mode, truth in truths.items():
        qc, qx = recent_queries(inter, truth.rows, recent_weeks, max_queries=max_queries, seed=seed)
        where = {int(r): i for i, r in enumerate(truth.rows.tolist())}
        all_recs = np.zeros((len(qc), min(k, inter.n_products)), np.int64)
        # popular products are asked about by many customers: each product's scores once
        items, asked_of = np.unique(qx, return_inverse=True)
        for s in range(0, len(items), chunk):
            x = items[s : s + chunk]
            scores = similarity(x).astype(np.float32, copy=True)
            scores[np.arange(len(x)), x] = -np.inf
            queries = np.flatnonzero((asked_of >= s) & (asked_of < s + len(x)))
            for q in np.array_split(queries, -(-len(queries) // chunk) or 1):
                exclude = bought[qc[q]] if mode == "new" else None
                all_recs[q] = top_k(scores[asked_of[q] - s], k, exclude)
        at = [where[int(c)] for c in qc.tolist()]
        asked = Truth(qc, [truth.items[i] for i in at], truth.sizes[at])
        res = (
            metrics_at_k(all_recs, asked, inter.n_products, k)
            if len(qc)
            else dict.fromkeys(METRICS, 0.0)
        )
        out[mode] = {**res, "queries": len(qc)}
    return out


def run_comparison(
    models: Sequence[Recommender],
    inter: Interactions,
    truths: dict[str, Truth],
    k: int = 10,
    log: Callable[[str], None] = print,
) -> dict[str, dict]:
    """Fit and score each model on the same split; returns name -> metrics per mode + timings."""
    results: dict[str, dict] = {}
    for model in models:
        t0 = time.perf_counter()
        model.fit(inter)
        fit_s = time.perf_counter() - t0
        res = evaluate_scores(model.score, inter, truths, k)
        res["fit_seconds"] = round(fit_s, 2)
        res["params"] = model.params()
        results[model.name] = res
        log(
            f"{model.name:>18}: "
            + "  ".join(f"{m} ndcg@{k}={res[m]['ndcg']:.4f}" for m in truths)
            + f"  ({fit_s:.1f}s)"
        )
    return results


def format_table(results: dict[str, dict], k: int = 10) -> str:
    head = f"{'model':<20} {'mode':<4} " + " ".join(f"{m + '@' + str(k):>12}" for m in METRICS)
    lines = [head, "-" * len(head)]
    for mode in MODES:
        for name, res in results.items():
            if mode not in res:
                continue
            vals = " ".join(f"{res[mode][m]:>12.4f}" for m in METRICS)
            lines.append(f"{name:<20} {mode:<4} {vals}")
    return "\n".join(lines)


def write_outputs(
    results: dict[str, dict], meta: dict, json_path: Path | None, png_path: Path | None, k: int = 10
) -> None:
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps({"meta": meta, "results": results}, indent=2, default=str))
    if png_path:
        plot(results, png_path, k, title=str(meta.get("dataset", "")))


def plot(results: dict[str, dict], path: Path, k: int = 10, title: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=False)
    for ax, mode in zip(axes, MODES, strict=True):
        vals = [results[n].get(mode, {}).get("ndcg", 0.0) for n in names]
        colors = ["tab:orange" if n.startswith("keras") else "tab:blue" for n in names]
        ax.barh(names, vals, color=colors)
        ax.set_title(f"mode {mode}: NDCG@{k}")
        ax.invert_yaxis()
        for i, v in enumerate(vals):
            ax.text(v, i, f" {v:.3f}", va="center", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
