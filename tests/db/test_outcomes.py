"""Closed-loop measurement on a seeded simulation: the report's counts, attributed purchases,
breakdowns and uplift are the planted ones (SQLite and PostgreSQL)."""

from __future__ import annotations

import math
import statistics
from datetime import timedelta

from sqlalchemy import Engine, insert, select

from db import exposures, outcomes
from db.models import Exposure, Transaction
from tests.db.outcome_sim import START, WINDOW, simulate

SINCE, UNTIL = START - timedelta(days=1), START + timedelta(days=60)
AS_OF = START + timedelta(days=120)  # every window closed


def _report(engine: Engine) -> outcomes.Report:
    with engine.connect() as conn:
        return outcomes.report(conn, SINCE, UNTIL, WINDOW, AS_OF)


def test_report_counts_what_the_simulation_planted(engine: Engine) -> None:
    planted = simulate(engine)
    found = _report(engine)

    assert found.overall.shown == planted.shown
    assert found.overall.hits == planted.hits
    assert found.overall.open == 0
    assert math.isclose(found.overall.quantity, planted.quantity)
    assert math.isclose(found.overall.amount, planted.amount)
    assert {k: (t.shown, t.hits) for k, t in found.by_surface.items()} == planted.by_surface
    assert {k: (t.shown, t.hits) for k, t in found.by_version.items()} == planted.by_version
    assert (found.up, found.down) == (planted.up, planted.down)
    # per rep: every exposed line belongs to rep A (odd accounts) or rep B (even ones)
    assert set(found.by_rep) == {"Rep A", "Rep B"}
    assert sum(t.shown for t in found.by_rep.values()) == planted.shown
    assert sum(t.hits for t in found.by_rep.values()) == planted.hits
    # held-out lines are never counted as shown
    assert found.holdout_lines.shown == 4 * len(planted.holdout_customers)
    assert found.digest_lines.shown == planted.by_surface["digest"][0]


def test_uplift_and_its_interval_are_the_planted_arms(engine: Engine) -> None:
    planted = simulate(engine)
    u = _report(engine).uplift

    assert u is not None
    exposed, held = planted.exposed_account_rates, planted.holdout_account_rates
    assert (u.exposed_accounts, u.holdout_accounts) == (len(exposed), len(held))
    assert math.isclose(u.exposed_rate, statistics.fmean(exposed))
    assert math.isclose(u.holdout_rate, statistics.fmean(held))
    assert math.isclose(u.difference, statistics.fmean(exposed) - statistics.fmean(held))
    se = math.sqrt(
        statistics.variance(exposed) / len(exposed) + statistics.variance(held) / len(held)
    )
    assert math.isclose(u.low, u.difference - 1.96 * se)
    assert math.isclose(u.high, u.difference + 1.96 * se)
    # planted: exposed lines bought with chance 0.5, held-out ones 0.25
    assert u.difference > 0.1


def test_a_purchase_counts_only_after_the_first_showing_and_inside_the_window(
    engine: Engine,
) -> None:
    simulate(engine, accounts=2, held=0)
    shown_at = START + timedelta(days=70)
    with engine.begin() as conn:
        exposures.write(
            conn,
            [
                exposures.exposure(shown_at, 1, 20, 1, "new", "answer", 2, "U0REPA"),
                exposures.exposure(shown_at + timedelta(days=5), 1, 20, 1, "new", "answer", 2),
            ],
        )
        conn.execute(
            insert(Transaction),
            [
                {
                    "customer_id": 1,
                    "product_id": 20,
                    "quantity": 7.0,
                    "amount": 1.0,
                    "occurred_at": shown_at - timedelta(hours=1),
                },  # before: no hit
                {
                    "customer_id": 1,
                    "product_id": 20,
                    "quantity": 2.0,
                    "amount": 3.0,
                    "occurred_at": shown_at + timedelta(days=WINDOW + 1),
                },  # after the window
            ],
        )
    since, until = shown_at - timedelta(days=1), shown_at + timedelta(days=10)
    with engine.connect() as conn:
        late = outcomes.report(conn, since, until, WINDOW, AS_OF + timedelta(days=90))
        wider = outcomes.report(conn, since, until, WINDOW + 2, AS_OF + timedelta(days=90))
        young = outcomes.report(conn, since, until, WINDOW, shown_at + timedelta(days=3))
    assert (late.overall.shown, late.overall.hits, late.overall.quantity) == (1, 0, 0.0)
    assert (wider.overall.hits, wider.overall.quantity, wider.overall.amount) == (1, 2.0, 3.0)
    assert (young.overall.shown, young.overall.hits, young.overall.open) == (1, 0, 1)


def test_hit_rate_and_version_rates_for_the_gate_and_the_retrain_message(
    engine: Engine,
) -> None:
    planted = simulate(engine)
    with engine.connect() as conn:
        everything = outcomes.hit_rate(conn, SINCE, UNTIL, WINDOW, AS_OF)
        versions = outcomes.version_hit_rates(conn, SINCE, UNTIL, WINDOW, AS_OF)
        too_young = outcomes.version_hit_rates(conn, SINCE, UNTIL, WINDOW, SINCE)
    assert (everything.shown, everything.hits) == (planted.shown, planted.hits)
    assert {v: (t.shown, t.hits) for v, t in versions.items()} == planted.by_version
    assert too_young == {}


def test_the_headline_is_stored_and_the_latest_is_read_back(engine: Engine) -> None:
    planted = simulate(engine)
    found = _report(engine)
    with engine.begin() as conn:
        outcomes.save(conn, found, AS_OF)
    with engine.connect() as conn:
        latest = outcomes.latest(conn)
    assert latest is not None
    when, figures = latest
    assert when == AS_OF
    assert (figures["shown"], figures["hits"]) == (planted.shown, planted.hits)
    assert figures["uplift"]["holdout_accounts"] == len(planted.holdout_customers)


def test_holdout_is_a_fixed_seeded_share_of_accounts() -> None:
    ids = [f"C{i:05d}" for i in range(20_000)]
    held = [i for i in ids if exposures.is_held_out(i, 0.10, "recbot-holdout")]
    assert 0.09 < len(held) / len(ids) < 0.11
    assert held == [i for i in ids if exposures.is_held_out(i, 0.10, "recbot-holdout")]
    other = {i for i in ids if exposures.is_held_out(i, 0.10, "another-seed")}
    assert other != set(held)
    assert not any(exposures.is_held_out(i, 0.0, "recbot-holdout") for i in ids)


def test_exposures_are_written_in_one_statement(engine: Engine) -> None:
    simulate(engine, accounts=2, held=0)
    with engine.connect() as conn:
        n = len(conn.execute(select(Exposure.id)).all())
    assert n == 2 * 4 + 2 * 4  # per account: 4 digest lines, an answer of 3, one shown again
