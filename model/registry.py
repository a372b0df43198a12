"""Model versions: the training record, the promotion gate, and the atomic serving switch.

Readers (the Slack app) only ever read the recommendations of the one 'live' version, so writing a
new version's rows and flipping the statuses in one transaction means they never see a half set.
No TensorFlow here: this module is safe to import from the Slack side.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from core.errors import RecbotError
from db import outcomes, serving
from db.models import ColdStartRecommendation, ModelVersion, Recommendation, SimilarProduct

GATE_K = 10
DEFAULT_TOLERANCE = 0.05  # a new version may be up to 5% below the live one on holdout NDCG@10
REC_COLUMNS = ("model_version_id", "customer_id", "mode", "rank", "product_id", "score", "reason")
COLD_COLUMNS = ("model_version_id", "segment", "rank", "product_id", "score", "reason")
SIMILAR_COLUMNS = ("model_version_id", "product_id", "rank", "similar_product_id", "score")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def start_run(engine: Engine, arch: str, hyperparams: dict) -> int:
    """Record a run as 'training' (committed at once, so a crash still leaves a trace)."""
    with engine.begin() as conn:
        conn.execute(
            update(ModelVersion)
            .where(ModelVersion.status == "training")
            .values(status="failed", reason="interrupted: the training process ended unfinished")
        )
        return conn.execute(
            insert(ModelVersion)
            .values(
                status="training", arch=arch, started_at=_now(), hyperparams=_json_safe(hyperparams)
            )
            .returning(ModelVersion.id)
        ).scalar_one()


def _json_safe(value):
    """NaN and infinities are not JSON (PostgreSQL refuses them): store them as text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def record_failure(engine: Engine, version_id: int, reason: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(ModelVersion)
            .where(ModelVersion.id == version_id)
            .values(status="failed", reason=reason[:1000])
        )


def record_trained(engine: Engine, version_id: int, **values) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(ModelVersion)
            .where(ModelVersion.id == version_id)
            .values(trained_at=_now(), **values)
        )


def holdout_score(metrics: dict | None, key: str = "holdout") -> float | None:
    """The gate's number: mean holdout NDCG@10 of modes 'all' and 'new'."""
    m = (metrics or {}).get(key)
    return None if not m else (m["all"] + m["new"]) / 2


def live_metrics(engine: Engine) -> tuple[int, dict] | None:
    """The live version's id and metrics, which the gate compares a new version with."""
    with engine.connect() as conn:
        model = serving.live_model(conn)
    return None if model is None else (model.id, model.metrics)


@dataclass
class GateResult:
    passed: bool
    reason: str
    hold: bool = False  # passed, but kept as a candidate for an admin to promote


# The live check (GATE_LIVE_WEEKS): how many matured showings each side needs before the gate
# trusts a fall in the live hit rate, and how far it must fall (a one-sided 95 % test).
LIVE_CHECK_MIN_SHOWN = 200
LIVE_CHECK_Z = -1.645


def live_hit_rate_fall(
    engine: Engine, weeks: int, window_days: int, now: datetime | None = None
) -> str | None:
    """Why the last promotion looks like it lowered the live hit rate (None when it did not,
    or when there is too little evidence): the live version's hit rate over its last `weeks`
    weeks of showings whose attribution window has closed, against the version it replaced over
    its last `weeks` weeks as the live one. A new version has no live record of its own; the
    last promotion, also won on holdout NDCG, is the evidence of whether NDCG gains turn into
    sales here."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    window, span = timedelta(days=window_days), timedelta(weeks=weeks)
    with engine.connect() as conn:
        live = serving.live_model(conn)
        if live is None or live.promoted_at is None:
            return None
        before = conn.execute(
            select(ModelVersion.id)
            .where(ModelVersion.promoted_at < live.promoted_at, ModelVersion.id != live.id)
            .order_by(ModelVersion.promoted_at.desc())
            .limit(1)
        ).scalar()
        if before is None:
            return None
        start = max(live.promoted_at, now - window - span)
        ours = outcomes.version_hit_rates(conn, start, now, window_days, now).get(live.id)
        theirs = outcomes.version_hit_rates(
            conn, live.promoted_at - span, live.promoted_at, window_days, now
        ).get(before)
    if ours is None or theirs is None:
        return None
    if min(ours.shown, theirs.shown) < LIVE_CHECK_MIN_SHOWN:
        return None
    pooled = (ours.hits + theirs.hits) / (ours.shown + theirs.shown)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / ours.shown + 1 / theirs.shown))
    if spread == 0 or ((ours.rate or 0) - (theirs.rate or 0)) / spread > LIVE_CHECK_Z:
        return None
    return (
        f"the live hit rate fell after the last promotion: v{before} {theirs.rate:.1%} of "
        f"{theirs.shown:,} showings bought, v{live.id} {ours.rate:.1%} of {ours.shown:,}"
    )


def gate(
    engine: Engine,
    metrics: dict,
    tolerance: float = DEFAULT_TOLERANCE,
    live_weeks: int = 0,
    window_days: int = 30,
) -> GateResult:
    """Whether a new version may go live: it must beat popularity on holdout NDCG@10 and not fall
    more than `tolerance` below the live version. `live_weeks` > 0 adds the live check: a
    version that passes is held as a candidate when the live hit rate fell after the last
    promotion (live_hit_rate_fall)."""
    verdict = _holdout_gate(engine, metrics, tolerance)
    if not verdict.passed or not live_weeks:
        return verdict
    fall = live_hit_rate_fall(engine, live_weeks, window_days)
    if fall is None:
        return verdict
    return GateResult(True, f"{verdict.reason}; held for an admin: {fall}", hold=True)


def _holdout_gate(engine: Engine, metrics: dict, tolerance: float) -> GateResult:
    ours, pop = holdout_score(metrics), holdout_score(metrics, "holdout_popularity")
    if ours is None or pop is None:
        return GateResult(False, "no holdout metrics")
    n_products = metrics.get("n_products") or 0
    tiny = 0 < n_products <= GATE_K and ours >= pop  # all products fit in every top 10
    if not tiny and ours <= pop:
        return GateResult(False, f"holdout NDCG@10 {ours:.4f} does not beat popularity {pop:.4f}")
    live = live_metrics(engine)
    live_id, live_score = (live[0], holdout_score(live[1])) if live else (None, None)
    if live_score is not None and ours < live_score * (1 - tolerance):
        return GateResult(
            False,
            f"holdout NDCG@10 {ours:.4f} is more than {tolerance:.0%} below "
            f"live version {live_id} ({live_score:.4f})",
        )
    vs = f", live version {live_id} had {live_score:.4f}" if live_score is not None else ""
    if tiny:
        return GateResult(
            True,
            f"all {n_products} products fit in a top {GATE_K}: holdout "
            f"NDCG@10 {ours:.4f} ties popularity {pop:.4f}{vs}",
        )
    return GateResult(True, f"holdout NDCG@10 {ours:.4f} beats popularity {pop:.4f}{vs}")


def _bulk_insert(conn: Connection, table: str, columns: tuple[str, ...], rows: list) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        # COPY text format, built in bulk: far faster than a write_row call per row
        joined = "".join(v for r in rows for v in r if isinstance(v, str))
        if "\\" in joined or "\t" in joined or "\n" in joined:
            rows = [tuple(map(_copy_field, r)) for r in rows]
        text = "".join("\t".join(map(str, r)) + "\n" for r in rows)
        raw: Any = conn.connection.driver_connection  # psycopg's connection: COPY
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
            cp.write(text.encode())
        return
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def _copy_field(value: object) -> str:
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    return text


def _write_rows(
    conn: Connection, rec_chunks: Iterable[list], cold_rows: list, similar_rows: list
) -> int:
    n = 0
    for chunk in rec_chunks:
        _bulk_insert(conn, "recommendations", REC_COLUMNS, chunk)
        n += len(chunk)
    _bulk_insert(conn, "cold_start_recommendations", COLD_COLUMNS, cold_rows)
    _bulk_insert(conn, "similar_products", SIMILAR_COLUMNS, similar_rows)
    return n


def _flip_live(conn: Connection, version_id: int, reason: str | None) -> int | None:
    """Retire the live version, make `version_id` live, keep only these two sets of rows."""
    old = conn.execute(select(ModelVersion.id).where(ModelVersion.status == "live")).scalar()
    if old is not None:
        conn.execute(update(ModelVersion).where(ModelVersion.id == old).values(status="retired"))
    values = {"status": "live", "promoted_at": _now()}
    if reason is not None:
        values["reason"] = reason
    conn.execute(update(ModelVersion).where(ModelVersion.id == version_id).values(**values))
    keep = [version_id] + ([old] if old is not None else [])
    keep += list(
        conn.execute(select(ModelVersion.id).where(ModelVersion.status == "candidate")).scalars()
    )
    for table in (Recommendation, ColdStartRecommendation, SimilarProduct):
        conn.execute(delete(table).where(table.model_version_id.not_in(keep)))
    return old


def publish(
    engine: Engine,
    version_id: int,
    rec_chunks: Iterable[list],
    cold_rows: list,
    reason: str | None = None,
    similar_rows: list | None = None,
) -> int:
    """Write the version's rows (recommendations, cold-start lists, similar products) and make
    it live, all in one transaction. Returns the recommendation rows written."""
    with engine.begin() as conn:
        n = _write_rows(conn, rec_chunks, cold_rows, similar_rows or [])
        _flip_live(conn, version_id, reason)
    return n


def store_candidate(
    engine: Engine,
    version_id: int,
    rec_chunks: Iterable[list],
    cold_rows: list,
    reason: str,
    similar_rows: list | None = None,
) -> int:
    """Keep a gate-passing version's rows without serving them (promote it later)."""
    with engine.begin() as conn:
        n = _write_rows(conn, rec_chunks, cold_rows, similar_rows or [])
        conn.execute(
            update(ModelVersion)
            .where(ModelVersion.id == version_id)
            .values(status="candidate", reason=reason)
        )
    return n


def reject(engine: Engine, version_id: int, reason: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(ModelVersion)
            .where(ModelVersion.id == version_id)
            .values(status="rejected", reason=reason)
        )


def _has_rows(conn: Connection, version_id: int) -> bool:
    return (
        conn.execute(
            select(func.count())
            .select_from(ColdStartRecommendation)
            .where(ColdStartRecommendation.model_version_id == version_id)
        ).scalar_one()
        > 0
    )


def promote(engine: Engine, version_id: int) -> None:
    """Make a stored version live by hand (a candidate, or the previous live one)."""
    with engine.begin() as conn:
        status = conn.execute(
            select(ModelVersion.status).where(ModelVersion.id == version_id)
        ).scalar()
        if status is None:
            raise RecbotError(f"no model version {version_id}: see `recbot models list`")
        if status == "live":
            raise RecbotError(f"model version {version_id} is already live")
        if not _has_rows(conn, version_id):
            raise RecbotError(
                f"model version {version_id} ({status}) has no stored recommendations; only the "
                "live, previous live and candidate versions keep them: run `recbot train`"
            )
        _flip_live(conn, version_id, f"promoted by hand (was {status})")


def rollback(engine: Engine) -> tuple[int, int]:
    """Go back to the most recent retired version that still has its recommendations."""
    with engine.begin() as conn:
        live = conn.execute(select(ModelVersion.id).where(ModelVersion.status == "live")).scalar()
        if live is None:
            raise RecbotError("no live model version to roll back")
        prev_ids = (
            conn.execute(
                select(ModelVersion.id)
                .where(ModelVersion.status == "retired")
                .order_by(ModelVersion.promoted_at.desc(), ModelVersion.id.desc())
            )
            .scalars()
            .all()
        )
        prev = next((v for v in prev_ids if _has_rows(conn, v)), None)
        if prev is None:
            raise RecbotError("no previous version with stored recommendations to roll back to")
        conn.execute(
            update(ModelVersion)
            .where(ModelVersion.id == live)
            .values(status="retired", reason="rolled back")
        )
        conn.execute(
            update(ModelVersion)
            .where(ModelVersion.id == prev)
            .values(status="live", promoted_at=_now(), reason="restored by rollback")
        )
        return live, prev


def list_versions(engine: Engine, limit: int = 20) -> list[ModelVersion]:
    cols = [c for c in ModelVersion.__table__.c if c.name != "artifact"]
    with engine.connect() as conn:
        rows = conn.execute(select(*cols).order_by(ModelVersion.id.desc()).limit(limit)).all()
    return [ModelVersion(**dict(r._mapping)) for r in rows]
