"""`/recommend status`: the live model in words a rep or an admin reads at a glance.

Only known metrics are shown, each with its meaning; the stored metrics dictionary (with its
per-epoch history) never reaches Slack as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.block_kit import day, minute, section
from bot.blocks import Reply, no_model_reply
from bot.mrkdwn import escape
from db.serving import LiveModel

MODES = (("all", "Likely to reorder"), ("new", "New for this customer"))


def status_reply(
    model: LiveModel | None, next_retrain: datetime | None, job_lines: Sequence[str] = ()
) -> Reply:
    """The live model, its quality and the next retrain; then the jobs' lines (already mrkdwn)."""
    if model is None:
        reply = no_model_reply()
        reply = Reply(reply.text, [*reply.blocks, section(_next_retrain(next_retrain))])
    else:
        blocks = [section(_model_text(model, next_retrain)), section(_quality_text(model.metrics))]
        reply = Reply(f"Live model v{model.id}", blocks)
    if not job_lines:
        return reply
    return Reply(reply.text, [*reply.blocks, section("\n".join(job_lines))])


def _count(n: int | None, what: str) -> str:
    return f"{n:,} {what}" if n is not None else ""


def _model_text(model: LiveModel, next_retrain: datetime | None) -> str:
    data = ", ".join(
        p
        for p in (
            _count(model.n_rows, "purchase lines"),
            _count(model.n_customers, "customers"),
            _count(model.n_products, "products"),
        )
        if p
    )
    trained = f"*Trained:* {day(model.trained_at)} on data {day(model.data_from)} to "
    trained += day(model.data_to) + (f" ({data})" if data else "")
    return "\n".join(
        [
            f"*Live model:* v{model.id} ({escape(model.arch, 40)}) · live since "
            f"{day(model.promoted_at)}",
            trained,
            _next_retrain(next_retrain),
        ]
    )


def _next_retrain(when: datetime | None) -> str:
    return "*Next scheduled retrain:* " + (minute(when) if when else "not scheduled")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _quality_text(metrics: Mapping[str, Any]) -> str:
    """Holdout NDCG@10 per section beside popularity's; a version that stored other metrics
    shows its plain numbers; anything else (lists, nested dictionaries) is left out."""
    ours, pop = metrics.get("holdout"), metrics.get("holdout_popularity")
    if isinstance(ours, Mapping) and any(_number(ours.get(m)) is not None for m, _ in MODES):
        weeks = _number(metrics.get("holdout_weeks"))
        span = f"the last {weeks:.0f} weeks" if weeks else "held-out weeks"
        lines = [
            f"*Quality:* holdout NDCG@10 on {span} of data the model did not see "
            "(1 = every purchase ranked first; higher is better)"
        ]
        for mode, title in MODES:
            value = _number(ours.get(mode))
            if value is None:
                continue
            base = _number(pop.get(mode)) if isinstance(pop, Mapping) else None
            vs = f" · popularity {base:.3f}" if base is not None else ""
            lines.append(f"• {title}: *{value:.3f}*{vs}")
        return "\n".join(lines)
    scalars = sorted((k, v) for k, v in metrics.items() if _number(v) is not None)
    plain = " · ".join(f"{escape(k, 40)} {v:.3f}" for k, v in scalars)
    return "*Quality:* " + (plain or "no holdout metrics recorded")
