"""Memory and time against the customer chunk of the neighbour/EASE blocks (model/features.py
CUSTOMER_CHUNK): for each chunk size, in a fresh process, build the features of the whole history,
then do what training and publishing do with blocks: dense features at 30,000 sampled groups of
16 candidates (a training window) and every customer's top 50 in both modes with reasons (the
publish step, without the database write), scored by a ranker with random weights. Usage:

    DATABASE_URL=sqlite:////tmp/b2b_40k.db .venv/bin/python bench/chunk_size.py 512 1024 2048 4096

The interactions are aggregated once and cached next to the script's output (--cache).
"""

from __future__ import annotations

import argparse
import pickle
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model.data import Interactions, load_interactions


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(cache: Path, chunk: int) -> None:
    import model.train as train_module
    from model.features import DENSE_FEATURES, OWN_FEATURES, FeatureParams, build
    from model.precompute import recommendation_rows
    from model.train import NumpyScorer

    inter: Interactions = pickle.loads(cache.read_bytes())
    loaded = peak_mb()
    t = time.perf_counter()
    f = build(inter, FeatureParams())
    t_build, built = time.perf_counter() - t, peak_mb()

    rng = np.random.default_rng(0)
    c = np.repeat(rng.integers(0, inter.n_customers, 30_000), 16)
    p = rng.integers(0, inter.n_products, len(c))
    t = time.perf_counter()
    f.dense_at(c, p, chunk=chunk)
    t_pairs, pairs = time.perf_counter() - t, peak_mb()

    n_dense, n_own = len(DENSE_FEATURES), len(OWN_FEATURES)
    mlps = {
        "dense_linear": [rng.normal(size=(n_dense, 1)).astype(np.float32)],
        "own_hidden": [
            rng.normal(size=(n_own + n_dense, 16)).astype(np.float32),
            np.zeros(16, np.float32),
        ],
        "own_out": [rng.normal(size=(16, 1)).astype(np.float32), np.zeros(1, np.float32)],
    }
    train_module.CUSTOMER_CHUNK = chunk
    scorer = NumpyScorer(f, inter.n_products, None, mlps)
    t = time.perf_counter()
    n_rows = sum(len(rows) for rows in recommendation_rows(scorer.score, f, inter, 1, chunk=chunk))
    t_publish = time.perf_counter() - t
    print(
        f"| {chunk:,} | {t_build:.1f} | {t_pairs:.1f} | {t_publish:.1f} | {loaded:,.0f} | "
        f"{built:,.0f} | {pairs:,.0f} | {peak_mb():,.0f} | {n_rows:,} |",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("chunks", type=int, nargs="+")
    ap.add_argument("--cache", type=Path, default=Path("bench/out/chunk_size_interactions.pkl"))
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.cache, args.chunks[0])
        return
    if not args.cache.exists():
        from db.session import make_engine
        from db.settings import Settings

        args.cache.parent.mkdir(parents=True, exist_ok=True)
        engine = make_engine(Settings.from_env().database_url)
        args.cache.write_bytes(pickle.dumps(load_interactions(engine)))
    inter: Interactions = pickle.loads(args.cache.read_bytes())
    print(f"{inter.n_customers:,} customers x {inter.n_products:,} products, {len(inter.c):,} rows")
    print(
        "| chunk | build s | 480k pairs s | publish rows s | loaded MB | after build MB | "
        "after pairs MB | peak MB | rows |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for chunk in args.chunks:
        cmd = [sys.executable, __file__, str(chunk), "--cache", str(args.cache), "--child"]
        subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
