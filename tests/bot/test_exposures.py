"""What Slack shows is logged as exposures, off the answer's path: answers, shares and App Home,
with the rep, ranks and sections; a database outage never fails an answer or loses a row."""

from __future__ import annotations

import dataclasses
import time

from sqlalchemy import Engine, select

from bot.answers import picked_reply
from bot.commands.recommend import recommend
from bot.deps import Deps
from bot.events.app_home import app_home_opened
from bot.exposure_log import ExposureLog
from db import exposures
from db.models import Exposure, OutcomeReport
from db.session import make_engine
from tests.bot import fixtures
from tests.bot.doubles import AckDouble, all_text
from tests.bot.events.test_app_home import ClientDouble
from tests.db.outcome_sim import START


def _logged(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                select(
                    Exposure.customer_id,
                    Exposure.product_id,
                    Exposure.rank,
                    Exposure.mode,
                    Exposure.surface,
                    Exposure.model_version_id,
                    Exposure.slack_user_id,
                    Exposure.held_out,
                ).order_by(Exposure.id)
            )
        ]


def test_an_answer_logs_each_pick_it_shows_with_rank_section_and_rep(deps: Deps) -> None:
    log = ExposureLog(deps.engine)
    deps = dataclasses.replace(deps, exposures=log)
    ack = AckDouble()
    recommend(
        ack=ack, command={"text": "C001 3", "user_id": fixtures.REP_A}, context={"deps": deps}
    )
    assert "Dairy item 01" in all_text(ack.only["blocks"])  # answered before anything is written
    assert log.flush() == 6
    rows = _logged(deps.engine)
    assert [r[:4] for r in rows] == [
        (1, 1, 1, "reorder"),
        (1, 2, 2, "reorder"),
        (1, 3, 3, "reorder"),
        (1, 5, 1, "new"),
        (1, 6, 2, "new"),
        (1, 7, 3, "new"),
    ]
    assert {r[4:] for r in rows} == {("answer", fixtures.LIVE_ID, fixtures.REP_A, False)}


def test_a_share_and_app_home_are_logged_as_their_own_surfaces(deps: Deps) -> None:
    log = ExposureLog(deps.engine)
    deps = dataclasses.replace(deps, exposures=log)
    picked_reply(deps, fixtures.REP_A, 3, 2, False, interactive=False)  # Share
    app_home_opened(
        event={"type": "app_home_opened", "user": fixtures.REP_A, "tab": "home"},
        client=ClientDouble(),
        context={"deps": deps},
    )
    log.flush()
    rows = _logged(deps.engine)
    shares = [r for r in rows if r[4] == "share"]
    home = [r for r in rows if r[4] == "home"]
    assert len(shares) == 4 and {r[0] for r in shares} == {3}
    assert {r[6] for r in shares} == {fixtures.REP_A}
    # App Home: each of the rep's accounts shows one line (its top action)
    assert sorted(r[0] for r in home) == [1, 3]
    assert {(r[2], r[6]) for r in home} == {(1, fixtures.REP_A)}


def test_a_database_outage_keeps_the_rows_for_the_next_flush(filled: Engine) -> None:
    down = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")
    log = ExposureLog(down)
    row = exposures.exposure(fixtures.NOW, 1, 1, 1, "reorder", "answer", fixtures.LIVE_ID, "U1")
    log.record([row, row])  # never raises, never waits
    assert log.flush() == 0 and log.pending == 2
    log.engine = filled  # the database is back
    assert log.flush() == 2 and log.pending == 0
    assert len(_logged(filled)) == 2


def test_a_full_queue_counts_what_it_loses(filled: Engine) -> None:
    log = ExposureLog(filled, max_pending=3)
    row = exposures.exposure(fixtures.NOW, 1, 1, 1, "reorder", "answer", fixtures.LIVE_ID, "U1")
    log.record([row, row])
    log.record([row, row])
    assert (log.pending, log.lost) == (3, 1)
    assert log.flush() == 3


def test_the_writer_thread_writes_without_a_flush_call(filled: Engine) -> None:
    log = ExposureLog(filled, flush_every_s=0.05)
    row = exposures.exposure(fixtures.NOW, 1, 1, 1, "reorder", "answer", fixtures.LIVE_ID, "U1")
    log.record([row])
    for _ in range(100):
        if log.written:
            break
        time.sleep(0.05)
    assert log.written == 1 and len(_logged(filled)) == 1


def test_an_admins_app_home_shows_the_latest_reports_headline(deps: Deps) -> None:
    figures = {
        "since": "2026-09-06T09:00:00",
        "until": "2026-11-05T09:00:00",
        "window_days": 30,
        "shown": 1234,
        "hits": 210,
        "open": 15,
        "hit_rate": 210 / 1234,
        "amount": 999.0,
        "up": 4,
        "down": 2,
        "uplift": {
            "difference": 0.052,
            "low": 0.011,
            "high": 0.093,
            "exposed_rate": 0.31,
            "holdout_rate": 0.258,
            "exposed_accounts": 90,
            "holdout_accounts": 10,
        },
    }
    with deps.engine.begin() as conn:
        conn.execute(
            OutcomeReport.__table__.insert().values(
                created_at=START, since=START, until=START, window_days=30, figures=figures
            )
        )
    admin = ClientDouble()
    app_home_opened(
        event={"type": "app_home_opened", "user": fixtures.ADMIN, "tab": "home"},
        client=admin,
        context={"deps": deps},
    )
    text = all_text(admin.published[0]["view"]["blocks"])
    assert "*Did the picks sell?*" in text
    assert "1,234 picks shown · 17.0% bought within 30 days (210; 15 still open)" in text
    assert "Digest uplift: +5.2 points (95 % CI +1.1 to +9.3)" in text
    rep = ClientDouble()
    app_home_opened(
        event={"type": "app_home_opened", "user": fixtures.REP_A, "tab": "home"},
        client=rep,
        context={"deps": deps},
    )
    assert "Did the picks sell?" not in all_text(rep.published[0]["view"]["blocks"])
