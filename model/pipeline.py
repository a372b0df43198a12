"""`recbot train` end to end: aggregate, train, gate, precompute, switch; or record the failure."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import Engine

from core.errors import RecbotError
from db.settings import OutcomeSettings
from model import registry
from model.base import Log, Servable, TrainingError
from model.blog import SeedRanker
from model.data import load_interactions, newest_transaction
from model.precompute import cold_start_rows, recommendation_rows
from model.substitutes import similar_products
from model.train import KerasRanker, RankerParams
from model.training_data import check_size


@dataclass
class TrainResult:
    version_id: int
    status: str
    reason: str
    metrics: dict
    rows_written: int
    timings: dict[str, float] = field(default_factory=dict)
    n_rows: int = 0
    n_customers: int = 0
    n_products: int = 0


def train_and_publish(
    engine: Engine,
    params: RankerParams,
    as_of: datetime | None = None,
    tolerance: float = registry.DEFAULT_TOLERANCE,
    promote: bool = True,
    log: Log = print,
) -> TrainResult:
    """Train one version; publish it if it passes the gate. Serving is untouched on any failure."""
    if newest_transaction(engine) is None:
        raise RecbotError("no transactions in the database: import some first, then train")
    vid = registry.start_run(engine, params.arch, params.to_dict())
    timings: dict[str, float] = {}
    t = time.perf_counter()
    try:
        inter = load_interactions(engine, as_of)
        check_size(inter)
        timings["aggregate"] = time.perf_counter() - t
        log(
            f"version {vid}: {inter.n_rows:,} transactions, {inter.n_customers:,} customers, "
            f"{inter.n_products:,} products, {len(inter.c):,} customer-product-weeks "
            f"up to {inter.as_of:%Y-%m-%d} ({timings['aggregate']:.1f}s)"
        )
        t = time.perf_counter()
        model: Servable = (
            SeedRanker(params, log) if params.arch == "seed" else KerasRanker(params, log)
        )
        fitted = model.train(inter)
        timings["train"] = time.perf_counter() - t
        metrics = fitted.metrics(inter.n_products)
        t = time.perf_counter()
        emb = replace(params.item_embeddings, seed=params.seed)
        similar = similar_products(inter, fitted.holdout_weeks, emb, log)
        metrics["similar"] = similar.metrics
        timings["similar"] = time.perf_counter() - t
        registry.record_trained(
            engine,
            vid,
            data_from=inter.data_from,
            data_to=inter.data_to,
            n_rows=inter.n_rows,
            n_customers=inter.n_customers,
            n_products=inter.n_products,
            metrics=metrics,
            artifact=model.artifact(),
        )
        checks = OutcomeSettings.from_env()
        verdict = registry.gate(
            engine, metrics, tolerance, checks.gate_live_weeks, checks.attribution_days
        )
        t = time.perf_counter()
        rows = recommendation_rows(model.score, fitted.features, inter, vid)
        cold = cold_start_rows(inter, fitted.features, vid)
        similar_rows = similar.rows(inter, vid)
        if not verdict.passed:
            registry.reject(engine, vid, verdict.reason)
            status, written = "rejected", 0
        elif promote and not verdict.hold:
            written = registry.publish(engine, vid, rows, cold, verdict.reason, similar_rows)
            status = "live"
        else:
            written = registry.store_candidate(
                engine, vid, rows, cold, verdict.reason, similar_rows
            )
            status = "candidate"
        timings["precompute_and_switch"] = time.perf_counter() - t
    except (TrainingError, RecbotError) as exc:
        registry.record_failure(engine, vid, str(exc))
        raise RecbotError(f"training failed (version {vid}): {exc}; serving unchanged") from None
    except BaseException as exc:
        what = "interrupted" if isinstance(exc, KeyboardInterrupt) else type(exc).__name__
        line = (str(exc).strip().splitlines() or [""])[0]
        registry.record_failure(engine, vid, f"{what}: {line}"[:1000])
        if isinstance(exc, Exception):
            raise RecbotError(
                f"training failed (version {vid}): {what}: {line}; serving unchanged"
            ) from exc
        raise
    return TrainResult(
        vid,
        status,
        verdict.reason,
        metrics,
        written,
        timings,
        inter.n_rows,
        inter.n_customers,
        inter.n_products,
    )
