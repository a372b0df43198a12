"""The weekly retrain's message to ADMIN_CHANNEL carries last week's hit rate so far."""

from __future__ import annotations

from datetime import UTC, timedelta

from sqlalchemy import Engine, func, select

from bot.jobs.retrain import last_week_line
from db import outcomes
from db.models import Exposure
from tests.db.outcome_sim import START, simulate


def test_the_line_counts_last_weeks_showings_and_what_was_bought_since(engine: Engine) -> None:
    simulate(engine)
    now = START + timedelta(days=20)  # the answers (day 14-22) are last week's showings
    since = (now - timedelta(days=7)).replace(tzinfo=None)
    with engine.connect() as conn:
        week = outcomes.hit_rate(conn, since, now, 30, now)
        shown = conn.scalar(
            select(func.count(func.distinct(Exposure.customer_id * 1000 + Exposure.product_id)))
            .where(Exposure.shown_at >= since, Exposure.shown_at < now)
            .where(Exposure.held_out.is_(False))
        )
    assert week.shown == shown and week.shown > 0
    line = last_week_line(engine, now.replace(tzinfo=UTC))
    assert line == (
        f" · last week's picks: {week.rate:.1%} bought so far "
        f"({week.hits:,} of {week.shown:,} shown)"
    )


def test_nothing_shown_says_so(engine: Engine) -> None:
    assert last_week_line(engine, (START - timedelta(days=400)).replace(tzinfo=UTC)) == (
        " · last week's picks: none shown"
    )
