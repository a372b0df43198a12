"""The side-by-side comparison behind `recbot evaluate` and bench/quality.py."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from core.errors import RecbotError
from model.base import Log, Recommender
from model.baselines import Ease, ImplicitAls, OwnHistory, Popularity, TifuKnn, implicit_available
from model.data import Interactions, load_future_pairs, load_interactions
from model.evaluate import MODES, format_table, run_comparison, truth_from_pairs, write_outputs


def default_models(
    seed: int = 7, quick: bool = False, log: Log = print, ablation: bool = False
) -> list[Recommender]:
    from model.blog import SeedRecipe
    from model.train import KerasRanker, RankerParams

    models: list[Recommender] = [Popularity(), OwnHistory(), Ease(), TifuKnn()]
    if not quick:
        if implicit_available():
            models.append(ImplicitAls(seed=seed))
        else:
            log("implicit is not installed (pip install -e '.[bench]'): skipping the ALS baseline")
        models.append(SeedRecipe(seed=seed))
    if ablation:
        models.append(KerasRanker(RankerParams(seed=seed, use_embeddings=True, use_features=False)))
        models.append(KerasRanker(RankerParams(seed=seed, use_embeddings=True)))
    models.append(KerasRanker(RankerParams(seed=seed), log=log))
    return models


def compare(
    inter: Interactions,
    future_pairs: set,
    models: list[Recommender],
    meta: dict,
    out_dir: Path | None,
    name: str,
    log: Log = print,
) -> dict:
    truths = {m: truth_from_pairs(inter, future_pairs, m) for m in MODES}
    if not len(truths["all"].rows):
        raise RecbotError("no customer bought anything both before and after the cut-off")
    log(
        f"train: {inter.n_rows:,} lines, {inter.n_customers:,} customers, {inter.n_products:,} "
        f"products; test customers: {len(truths['all'].rows):,} (all), "
        f"{len(truths['new'].rows):,} (new)"
    )
    results = run_comparison(models, inter, truths, log=log)
    log("")
    log(format_table(results))
    meta = {
        **meta,
        "train_lines": inter.n_rows,
        "customers": inter.n_customers,
        "products": inter.n_products,
        "test_customers": {m: len(t.rows) for m, t in truths.items()},
    }
    if out_dir is not None:
        write_outputs(results, meta, out_dir / f"{name}.json", out_dir / f"{name}.png")
        log(f"\nwrote {out_dir / (name + '.json')} and {out_dir / (name + '.png')}")
    return results


def evaluate_database(
    engine: Engine,
    cutoff: datetime,
    until: datetime | None,
    out_dir: Path,
    name: str,
    quick: bool = False,
    seed: int = 7,
    ablation: bool = False,
    log: Log = print,
) -> dict:
    inter = load_interactions(engine, as_of=cutoff)
    if len(inter.c) == 0:
        raise RecbotError(f"no transactions before the cut-off {cutoff:%Y-%m-%d}")
    pairs = load_future_pairs(engine, cutoff, until)
    meta = {
        "dataset": f"database {engine.url.database}",
        "cutoff": cutoff.isoformat(),
        "until": until.isoformat() if until else None,
    }
    models = default_models(seed, quick, log, ablation)
    return compare(inter, pairs, models, meta, out_dir, name, log)
