"""The holdout: a seeded share of accounts never appears in any digest; their would-be lines are
recorded as held out, the sent ones as shown (the two arms of the uplift)."""

from __future__ import annotations

from sqlalchemy import Engine, select

from bot.jobs.digest import DigestJob
from bot.jobs.pacing import Pacer
from bot.slack_client import make_client
from db.exposures import is_held_out
from db.models import Exposure
from db.settings import OutcomeSettings
from tests.bot.doubles import all_text
from tests.jobs.conftest import MONDAY_0805_UTC, SETTINGS
from tests.slack_standin import BOT_TOKEN, SlackStandIn

SHARE = 0.5


def _seed_holding_out(held: str, kept: str) -> str:
    """A seed under which account `held` is in the holdout and `kept` is not (found, not
    assumed: the hash decides)."""
    for n in range(1000):
        seed = f"test-{n}"
        if is_held_out(held, SHARE, seed) and not is_held_out(kept, SHARE, seed):
            return seed
    raise AssertionError("no such seed")


def _job(engine: Engine, slack: SlackStandIn, seed: str) -> DigestJob:
    client = make_client(BOT_TOKEN, slack.api_url, timeout=5, retries=2)
    outcome = OutcomeSettings(holdout_share=SHARE, holdout_seed=seed)
    return DigestJob(
        engine, SETTINGS, client, Pacer(0), clock=lambda: MONDAY_0805_UTC, outcome=outcome
    )


def test_held_out_accounts_get_no_digest_line_and_are_recorded_as_held_out(
    db: Engine, slack: SlackStandIn
) -> None:
    seed = _seed_holding_out("C006", kept="C007")  # rep C's two accounts
    report = _job(db, slack, seed).run(MONDAY_0805_UTC)
    assert report.failed == 0

    [call] = [c for c in slack.delivered("chat.postMessage") if c.params["channel"] == "D0REPC"]
    text = all_text(call.params["blocks"])
    assert call.params["blocks"][0]["text"]["text"] == "1 account needs attention this week, Rep C"
    assert "Harbor Cafe 12" in text and "Evil" not in text and "C006" not in text
    # nothing of a held-out account reaches any rep's DM
    held_names = {"C001": "Acme Bistro", "C002": "Acme Grill", "C003": "Northwind Hotel"}
    for call in slack.delivered("chat.postMessage"):
        for external, name in held_names.items():
            if is_held_out(external, SHARE, seed):
                assert f"*{name}*" not in all_text(call.params["blocks"])

    with db.connect() as conn:
        rows = conn.execute(
            select(
                Exposure.customer_id, Exposure.held_out, Exposure.surface, Exposure.rep_id
            ).where(Exposure.surface == "digest")
        ).all()
    assert rows, "the digest recorded its lines"
    external = {1: "C001", 2: "C002", 3: "C003", 6: "C006", 7: "C007"}
    for customer_id, held_out, _, _ in rows:
        assert held_out == is_held_out(external[customer_id], SHARE, seed)
    rep_c = {(c, h) for c, h, _, rep in rows if rep == 3}
    assert rep_c == {(6, True), (7, False)}


def test_with_no_holdout_every_account_is_shown(db: Engine, slack: SlackStandIn) -> None:
    client = make_client(BOT_TOKEN, slack.api_url, timeout=5, retries=2)
    job = DigestJob(
        db,
        SETTINGS,
        client,
        Pacer(0),
        clock=lambda: MONDAY_0805_UTC,
        outcome=OutcomeSettings(holdout_share=0.0),
    )
    job.run(MONDAY_0805_UTC)
    with db.connect() as conn:
        held = conn.execute(select(Exposure.id).where(Exposure.held_out.is_(True))).all()
        shown = conn.execute(select(Exposure.customer_id).where(Exposure.rep_id == 3)).all()
    assert held == []
    assert {c for (c,) in shown} == {6, 7}
