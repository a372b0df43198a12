"""Quality comparison on files, without a database round trip (`recbot evaluate` does the same
from the database). Usage:

    .venv/bin/python bench/quality.py cj            # 84.51 Complete Journey sample, cut 2017-10-01
    .venv/bin/python bench/quality.py b2b           # synthetic b2b profile, last 8 weeks held out
    .venv/bin/python bench/quality.py b2b-dense     # denser b2b (density 2.5)
    .venv/bin/python bench/quality.py cj --ablation # adds embeddings-only / features-only rows
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from db.synthetic import B2BParams, b2b_profile
from model.compare import compare, default_models
from model.data import future_pairs_from_frame, interactions_from_frame

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
CJ_CUTOFF = datetime(2017, 10, 1)


def complete_journey() -> tuple[pd.DataFrame, dict, datetime]:
    tx = pd.read_csv(
        SHARED / "completejourney_transactions_sample.csv.gz",
        usecols=["household_id", "product_id", "quantity", "transaction_timestamp"],
    )
    tx = tx.rename(columns={"household_id": "customer_id", "transaction_timestamp": "occurred_at"})
    products = pd.read_csv(
        SHARED / "completejourney_products.csv.gz", usecols=["product_id", "product_category"]
    )
    cats = dict(zip(products.product_id, products.product_category.fillna(""), strict=True))
    return tx, cats, CJ_CUTOFF


def synthetic(
    density: float, customers: int, products: int, seed: int
) -> tuple[pd.DataFrame, dict, datetime]:
    data = b2b_profile(
        B2BParams(customers=customers, products=products, density=density, seed=seed)
    )
    cats = dict(zip(data.products.product_id, data.products.category, strict=True))
    end = pd.to_datetime(data.transactions.occurred_at).max()
    cutoff = datetime.combine((end - timedelta(weeks=8)).date(), datetime.min.time())
    return data.transactions, cats, cutoff


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset", choices=["cj", "b2b", "b2b-dense"])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--products", type=int, default=500)
    ap.add_argument("--quick", action="store_true", help="skip ALS and the blog recipe")
    ap.add_argument("--ablation", action="store_true")
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    args = ap.parse_args()
    if args.dataset == "cj":
        tx, cats, cutoff = complete_journey()
    else:
        density = 2.5 if args.dataset == "b2b-dense" else 1.0
        tx, cats, cutoff = synthetic(density, args.customers, args.products, args.seed)
    inter = interactions_from_frame(tx, cutoff, cats)
    pairs = future_pairs_from_frame(tx, cutoff)
    meta = {"dataset": args.dataset, "cutoff": cutoff.isoformat(), "seed": args.seed}
    models = default_models(args.seed, args.quick, print, args.ablation)
    compare(inter, pairs, models, meta, args.out, f"quality-{args.dataset}", print)


if __name__ == "__main__":
    main()
