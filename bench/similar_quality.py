"""Similar products: do a product's neighbours get bought next? Embeddings vs co-purchase cosine.

For each customer who bought X in the last 4 weeks before the cut-off, X's top 10 neighbours
(model/evaluate.py: neighbour_metrics) are scored against what the customer bought after the
cut-off; mode `new` leaves out, on both sides, what the customer had bought before. The same
splits as bench/quality.py. Usage:

    .venv/bin/python bench/similar_quality.py cj
    .venv/bin/python bench/similar_quality.py b2b
    .venv/bin/python bench/similar_quality.py b2b-dense
    .venv/bin/python bench/similar_quality.py b2b --cosine   # adds cosine of the embeddings
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.quality import complete_journey, synthetic
from model.data import future_pairs_from_frame, interactions_from_frame
from model.evaluate import MODES, neighbour_metrics, truth_from_pairs
from model.item_embeddings import EmbeddingParams, ItemEmbeddings
from model.similar import CoPurchase, SimilarSource
from model.substitutes import K, mean_ndcg


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset", choices=["cj", "b2b", "b2b-dense"])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--products", type=int, default=500)
    ap.add_argument("--recent-weeks", type=int, default=4)
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    ap.add_argument(
        "--cosine", action="store_true", help="also the cosine of the context embeddings"
    )
    args = ap.parse_args()
    if args.dataset == "cj":
        tx, cats, cutoff = complete_journey()
    else:
        density = 2.5 if args.dataset == "b2b-dense" else 1.0
        tx, cats, cutoff = synthetic(density, args.customers, args.products, args.seed)
    inter = interactions_from_frame(tx, cutoff, cats)
    truths = {m: truth_from_pairs(inter, future_pairs_from_frame(tx, cutoff), m) for m in MODES}
    print(
        f"{args.dataset}: {inter.n_customers:,} customers, {inter.n_products:,} products before "
        f"{cutoff:%Y-%m-%d}; customers with purchases after it: "
        + ", ".join(f"{len(t.rows):,} ({m})" for m, t in truths.items())
    )
    p = EmbeddingParams(seed=args.seed)
    sources: list[SimilarSource] = [ItemEmbeddings(p), CoPurchase()]
    if args.cosine:
        sources.insert(1, ItemEmbeddings(replace(p, kind="cosine")))
    results: dict[str, dict[str, Any]] = {}
    for source in sources:
        t = time.perf_counter()
        source.fit(inter)
        fit_s = time.perf_counter() - t
        judged = neighbour_metrics(
            source.similarity, inter, truths, K, args.recent_weeks, seed=args.seed
        )
        results[source.name] = {**judged, "fit_seconds": round(fit_s, 2)}
    head = f"{'source':<22} {'mode':<4} {'queries':>8} {'ndcg@10':>8} {'hit@10':>8} {'recall':>8}"
    print(head + "\n" + "-" * len(head))
    for mode in MODES:
        for name, res in results.items():
            r = res[mode]
            print(
                f"{name:<22} {mode:<4} {r['queries']:>8} {r['ndcg']:>8.4f} "
                f"{r['hit_rate']:>8.4f} {r['recall']:>8.4f}"
            )
    for name, res in results.items():
        print(f"{name}: fit {res['fit_seconds']:.1f}s, mean NDCG@{K} {mean_ndcg(res):.4f}")
    best = max(results, key=lambda n: mean_ndcg(results[n]))
    print(f"better predictor (mean NDCG@{K} of both modes): {best}")
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"similar-{args.dataset}.json"
    meta = {"dataset": args.dataset, "cutoff": cutoff.isoformat(), "seed": args.seed}
    path.write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
