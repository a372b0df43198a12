"""Same outputs before and after computing neighbour/EASE features per chunk of customers.

Runs the model code of a source tree on a fixed, seeded b2b dataset and saves what it produces:
the features' neighbour and EASE scores for every customer, a training batch, the Keras ranker's
holdout metrics, scores, top-50 lists in both modes and the serving rows with their reasons, and
the EASE and TIFU-KNN baselines' scores. Then compares two such files. Usage:

    .venv/bin/python bench/chunked_features_check.py run --root /tmp/before --out before.npz
    .venv/bin/python bench/chunked_features_check.py run --root . --out after.npz
    .venv/bin/python bench/chunked_features_check.py compare before.npz after.npz
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

TOP = 50


def knn_and_ease(f: Any, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Log-scaled neighbour and EASE scores of `rows`: whole arrays before the change, blocks
    after it."""
    if hasattr(f, "knn"):
        return f.knn[rows], f.ease[rows]
    b = f.block(rows)
    return b.knn, b.ease


def run(root: Path, out: Path, customers: int, products: int, epochs: int) -> None:
    sys.path.insert(0, str(root.resolve()))
    from db.synthetic import B2BParams, b2b_profile
    from model.baselines import Ease, TifuKnn
    from model.data import interactions_from_frame
    from model.features import FeatureParams, build
    from model.precompute import recommendation_rows
    from model.train import KerasRanker, RankerParams
    from model.training_data import holdout_weeks, training_batch

    data = b2b_profile(B2BParams(customers=customers, products=products, seed=11))
    cats = dict(zip(data.products.product_id, data.products.category, strict=True))
    end = pd.to_datetime(data.transactions.occurred_at).max().normalize() + pd.Timedelta(days=1)
    inter = interactions_from_frame(data.transactions, end.to_pydatetime(), cats)
    res: dict[str, Any] = {}
    rows = np.arange(inter.n_customers)
    fp = FeatureParams()
    f = build(inter, fp)
    res["knn"], res["ease"] = knn_and_ease(f, rows)

    h = holdout_weeks(inter)
    hist_b, _ = inter.shifted(h)
    batch = training_batch(hist_b, h, 3, 20_000, 15, fp, np.random.default_rng(7))
    res["batch_products"], res["batch_dense"] = batch.products, batch.dense
    res["batch_own"], res["batch_logq"] = batch.own, batch.logq

    model = KerasRanker(RankerParams(seed=7, epochs=epochs))
    fitted = model.train(inter)
    res["scores"] = model.score(rows)
    res["top_all"] = model.recommend(rows, TOP)
    res["top_new"] = model.recommend(rows, TOP, exclude_bought=True)
    chunks = recommendation_rows(model.score, fitted.features, inter, 1)
    served = [r for chunk in chunks for r in chunk]
    # customer, mode, rank, product; the score; the reason
    res["served_rows"] = np.array([f"{r[1]}|{r[2]}|{r[3]}|{r[4]}" for r in served])
    res["served_score"] = np.array([r[5] for r in served], np.float64)
    res["served_reason"] = np.array([r[6] for r in served])
    res["ease_baseline"] = Ease().fit(inter).score(rows)
    res["tifu_baseline"] = TifuKnn().fit(inter).score(rows)
    meta = {
        "holdout": fitted.holdout,
        "history": fitted.history,
        "calibration": fitted.calibration,
        "customers": inter.n_customers,
        "products": inter.n_products,
    }
    np.savez_compressed(out, meta=json.dumps(meta), **res)
    print(f"wrote {out}: {inter.n_customers} customers, {inter.n_products} products")
    print(f"holdout ndcg@10 {fitted.holdout}")


def tie_only(scores: np.ndarray, a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    """Whether two top lists of one customer differ only where the scores tie within `tol`."""
    diff = np.flatnonzero(a != b)
    return bool(np.all(np.abs(scores[a[diff]] - scores[b[diff]]) <= tol))


def compare(a_path: Path, b_path: Path, tol: float) -> int:
    a, b = np.load(a_path), np.load(b_path)
    failures = 0
    for key in a.files:
        if key == "meta" or a[key].dtype.kind not in "fiu":
            continue
        if a[key].shape != b[key].shape:
            print(f"{key:>16}: shapes differ {a[key].shape} vs {b[key].shape}")
            failures += 1
            continue
        d = float(np.max(np.abs(a[key].astype(np.float64) - b[key]))) if a[key].size else 0.0
        print(f"{key:>16}: max abs diff {d:.3g}" + ("  (identical)" if d == 0 else ""))
        if key.startswith("top_") and d:
            scores = a["scores"]
            differing = [i for i in range(len(a[key])) if not np.array_equal(a[key][i], b[key][i])]
            ties = all(tie_only(scores[i], a[key][i], b[key][i], tol) for i in differing)
            print(f"{'':>16}  {len(differing)} rows differ" + (", all ties" if ties else ""))
            failures += not ties
        elif d > tol:
            failures += 1
    for key in ("served_rows", "served_reason"):
        same = np.array_equal(a[key], b[key])
        n_diff = "" if same or a[key].shape != b[key].shape else int(np.sum(a[key] != b[key]))
        print(f"{key:>16}: {'identical' if same else f'DIFFER {n_diff}'} of {len(a[key])} rows")
        failures += not same
    ma, mb = json.loads(str(a["meta"])), json.loads(str(b["meta"]))
    for mode in ("all", "new"):
        print(f"{'holdout ' + mode:>16}: {ma['holdout'][mode]:.6f} vs {mb['holdout'][mode]:.6f}")
        failures += abs(ma["holdout"][mode] - mb["holdout"][mode]) > tol
    same_cal = ma["calibration"] == mb["calibration"]
    print(f"{'calibration':>16}: {'identical' if same_cal else 'differs'}")
    print("SAME within float noise" if not failures else f"{failures} DIFFERENCES")
    return 1 if failures else 0


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--root", type=Path, default=Path("."))
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("--customers", type=int, default=1500)
    r.add_argument("--products", type=int, default=400)
    r.add_argument("--epochs", type=int, default=6)
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    c.add_argument("--tol", type=float, default=1e-5)
    args = ap.parse_args()
    if args.cmd == "run":
        run(args.root, args.out, args.customers, args.products, args.epochs)
    else:
        sys.exit(compare(args.a, args.b, args.tol))


if __name__ == "__main__":
    main()
