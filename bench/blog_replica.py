"""A faithful replica of the original blog's training, timed on a bounded number of steps.

It reads the raw transaction rows (as the blog does, with pandas), builds the blog's model
(embedding 30 -> Dense(128, relu) per tower, dot, MSE, adam, metrics=['accuracy']) and trains with
batch 500. Running all 50 epochs on 10 M rows would take a quarter of an hour, so it times
`--steps` steps after a warm-up and extrapolates to 50 epochs.

    .venv/bin/python bench/blog_replica.py --database-url postgresql+psycopg://... --steps 400
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd

from db.session import make_engine


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--batch", type=int, default=500)
    args = ap.parse_args()
    t0 = time.perf_counter()
    engine = make_engine(args.database_url)
    df = pd.read_sql("SELECT customer_id, product_id, quantity FROM transactions", engine)
    load_s = time.perf_counter() - t0
    from model.quiet_tf import import_keras

    keras = import_keras()
    from model.network import build_seed

    keras.utils.set_random_seed(7)
    _, c = np.unique(df.customer_id.to_numpy(), return_inverse=True)
    _, p = np.unique(df.product_id.to_numpy(), return_inverse=True)
    y = df.quantity.to_numpy(np.float32)
    model = build_seed(int(c.max()) + 1, int(p.max()) + 1)
    n = args.batch * args.steps
    idx = np.random.default_rng(7).choice(len(y), min(n, len(y)), replace=False)
    warm = idx[: args.batch * 20]
    model.fit([c[warm, None], p[warm, None]], y[warm], batch_size=args.batch, epochs=1, verbose=0)
    t1 = time.perf_counter()
    model.fit([c[idx, None], p[idx, None]], y[idx], batch_size=args.batch, epochs=1, verbose=0)
    step_s = (time.perf_counter() - t1) / int(np.ceil(len(idx) / args.batch))
    steps_total = args.epochs * int(np.ceil(len(y) / args.batch))
    out = {
        "rows": len(y),
        "load_seconds": round(load_s, 1),
        "ms_per_step": round(step_s * 1e3, 3),
        "steps_for_50_epochs": steps_total,
        "extrapolated_train_seconds": round(steps_total * step_s, 1),
        "extrapolated_total_seconds": round(load_s + steps_total * step_s, 1),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
