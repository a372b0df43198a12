"""The digest against the Slack stand-in: one DM per rep per period, faults, crashes, replicas."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from bot.jobs import claims
from bot.jobs.pacing import Pacer
from bot.settings import JobSettings
from db import job_queries, queries
from db.models import DigestDelivery, JobRun
from tests.bot import fixtures
from tests.bot.doubles import all_text
from tests.jobs.conftest import DUE_AT_0805, MONDAY_0805_UTC, PERIOD, digest_job, dms, race
from tests.slack_standin import SlackStandIn

NOW_NAIVE = MONDAY_0805_UTC.replace(tzinfo=None)


def rows(engine: Engine) -> dict[int, DigestDelivery]:
    with engine.connect() as conn:
        return {r.rep_id: r for r in conn.execute(select(DigestDelivery))}


def test_each_due_rep_gets_one_dm_in_their_own_morning(db: Engine, slack: SlackStandIn) -> None:
    report = digest_job(db, slack).run(MONDAY_0805_UTC)

    assert report.sent == 4 and report.failed == 0
    assert dms(slack) == dict.fromkeys(DUE_AT_0805, 1)
    assert {r.status for r in rows(db).values()} == {"sent"}
    assert {r.period for r in rows(db).values()} == {PERIOD}
    # again in the same period: nothing; Los Angeles' 08:00 comes 8 hours later
    assert not digest_job(db, slack).run(MONDAY_0805_UTC + timedelta(minutes=5)).ran
    later = digest_job(db, slack).run(MONDAY_0805_UTC + timedelta(hours=8))
    assert later.sent == 1
    assert dms(slack) == {**dict.fromkeys(DUE_AT_0805, 1), "D0REPE": 1}


def test_digest_lists_actions_most_urgent_account_first_with_open_buttons(
    db: Engine, slack: SlackStandIn
) -> None:
    digest_job(db, slack).run(MONDAY_0805_UTC)
    [call] = [c for c in slack.delivered("chat.postMessage") if c.params["channel"] == "D0REPC"]
    blocks = call.params["blocks"]
    assert blocks[0]["text"]["text"] == "2 accounts need attention this week, Rep C"
    accounts = [b for b in blocks if b["type"] == "section"]
    # customer 6's reorder is due (worth $20), customer 7's has lapsed: due value comes first
    assert [b["accessory"]["value"] for b in accounts] == ['{"c":6,"n":10}', '{"c":7,"n":10}']
    assert {b["accessory"]["action_id"] for b in accounts} == {"digest_open"}
    text = all_text(blocks)
    assert (
        "• *Due now:* Dairy item 03 · usually 4 every ~2 weeks · last ordered 2 weeks ago · "
        "$20 an order"
    ) in text
    assert "• *Lapsed:* Dairy item 04 · bought every week until 3 months ago" in text
    assert "• *New:* Dairy item 05 · new: popular with peers (5) (1 in 8 such picks" in text
    assert "OLD MODEL" not in text and "score" not in text
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text  # hostile names stay inert
    fallback = call.params["text"]  # what notifications show, mrkdwn as well
    assert fallback.startswith("2 accounts need attention: ")
    assert "<!channel>" not in fallback and "<@U0VICTIM>" not in fallback
    assert "&lt;!channel&gt;" in fallback
    assert text.count("•") == 2 + 2  # each: its reorder action and its best new product
    assert call.params["metadata"]["event_payload"]["delivery"] == f"3:{PERIOD}"


def test_accounts_are_ordered_by_attention(db: Engine) -> None:
    from db.attention import accounts_by_attention
    from db.queries import customer_by_id
    from db.serving import live_model

    with db.connect() as conn:
        model = live_model(conn)
        assert model is not None
        refs = [customer_by_id(conn, c) for c in (1, 2, 3, 6, 7)]
        accounts = accounts_by_attention(conn, model, [r for r in refs if r], NOW_NAIVE)
    # overdue value, then due value, then lapsed value, then the best new product's chance
    assert [a.customer.id for a in accounts] == [3, 6, 7, 1, 2]
    assert [[x.kind for x in a.actions] for a in accounts] == [
        ["overdue", "new"],
        ["due", "new"],
        ["lapsed", "new"],
        ["new"],  # customer 1 has two orders of product 1 by then: no rhythm claimed
        ["new"],
    ]
    assert accounts[0].value("overdue") == pytest.approx(100.0)  # 10 a week at $10
    assert accounts[2].actions[0].value == pytest.approx(1.0)  # no amounts: in units


def test_an_account_with_nothing_to_act_on_is_left_out(db: Engine, slack: SlackStandIn) -> None:
    with db.connect() as conn:  # customer 2's new products with evidence are 👎'd
        for product in (5, 6):
            queries.record_feedback(conn, 2, product, fixtures.REP_B, -1, fixtures.LIVE_ID)
    report = digest_job(db, slack).run(MONDAY_0805_UTC)
    assert (report.sent, report.skipped) == (3, 1)  # rep B has only customer 2
    assert rows(db)[2].status == "skipped" and "nothing to act on" in rows(db)[2].error
    [call] = [c for c in slack.delivered("chat.postMessage") if c.params["channel"] == "D0REPD"]
    text = all_text(call.params["blocks"])  # rep D has customers 1 and 2
    assert "1 account needs attention this week" in text
    assert "Acme Bistro" in text and "Acme Grill" not in text


def test_email_lookup_once_then_cached(db: Engine, slack: SlackStandIn) -> None:
    digest_job(db, slack).run(MONDAY_0805_UTC)
    assert [c.params["email"] for c in slack.calls_to("users.lookupByEmail")] == ["d@example.com"]
    opened = len(slack.calls_to("conversations.open"))
    digest_job(db, slack).run(MONDAY_0805_UTC + timedelta(days=7))
    assert len(slack.calls_to("users.lookupByEmail")) == 1  # the found id was kept
    assert len(slack.calls_to("conversations.open")) == opened  # and the DM channels
    assert dms(slack)["D0REPD"] == 2  # two weeks, two digests


def test_unknown_email_is_recorded_failed_and_retried_next_run(
    db: Engine, slack: SlackStandIn
) -> None:
    slack.users_by_email.clear()
    first = digest_job(db, slack).run(MONDAY_0805_UTC)
    assert first.failed == 1
    assert rows(db)[4].status == "failed" and "d@example.com" in rows(db)[4].error
    slack.users_by_email["d@example.com"] = "U0REPD"
    assert not digest_job(db, slack).run(MONDAY_0805_UTC + timedelta(minutes=10)).ran  # backoff
    retry = digest_job(db, slack).run(MONDAY_0805_UTC + timedelta(minutes=35))
    assert retry.sent == 1 and rows(db)[4].status == "sent" and rows(db)[4].attempts == 2
    assert dms(slack) == dict.fromkeys(DUE_AT_0805, 1)


def test_429_is_retried_after_its_retry_after(db: Engine, slack: SlackStandIn) -> None:
    slack.fail("chat.postMessage", "429", times=1, retry_after=1)
    report = digest_job(db, slack).run(MONDAY_0805_UTC)

    assert report.sent == 4
    posts = slack.calls_to("chat.postMessage")
    assert [c.status for c in posts[:2]] == [429, 200]
    assert posts[1].at - posts[0].at >= 1.0  # slack_sdk waited for Retry-After
    assert dms(slack) == dict.fromkeys(DUE_AT_0805, 1)


def test_500s_and_dropped_connections_are_retried(db: Engine, slack: SlackStandIn) -> None:
    slack.fail("chat.postMessage", "500", times=1)
    slack.fail("conversations.open", "drop", times=1)
    report = digest_job(db, slack).run(MONDAY_0805_UTC)
    assert report.sent == 4 and report.failed == 0
    assert dms(slack) == dict.fromkeys(DUE_AT_0805, 1)


@pytest.mark.parametrize("fault", ["stored-drop", "stored-500"])
def test_a_dm_slack_stored_before_the_answer_was_lost_is_not_sent_twice(
    db: Engine, slack: SlackStandIn, fault: str
) -> None:
    slack.fail("chat.postMessage", fault, times=2)  # two reps' DMs: stored, answer lost
    report = digest_job(db, slack).run(MONDAY_0805_UTC)
    assert (report.sent, report.reconciled, report.failed) == (2, 2, 0)
    assert dms(slack) == dict.fromkeys(DUE_AT_0805, 1)
    assert {r.status for r in rows(db).values()} == {"sent"}
    assert len(slack.calls_to("conversations.history")) == 2


def test_lost_answers_under_two_replicas_still_give_one_dm_each(
    db: Engine, slack: SlackStandIn
) -> None:
    slack.fail("chat.postMessage", "stored-drop", times=2)
    parallel = JobSettings(digest_pace_per_s=0, digest_workers=4)
    reports = race(
        db,
        2,
        lambda e, i: digest_job(e, slack, owner=f"replica:{i}", settings=parallel).run(
            MONDAY_0805_UTC
        ),
    )
    assert sum(r.sent + r.reconciled for r in reports) == 4
    assert dms(slack) == dict.fromkeys(DUE_AT_0805, 1)


def test_a_failing_dm_check_is_retried_before_anything_is_resent(
    db: Engine, slack: SlackStandIn
) -> None:
    slack.fail("chat.postMessage", "stored-500", times=1)
    slack.fail("conversations.history", "500", times=1)  # a read: the client retries it
    report = digest_job(db, slack).run(MONDAY_0805_UTC)
    assert (report.sent, report.reconciled, report.failed) == (3, 1, 0)
    assert dms(slack) == dict.fromkeys(DUE_AT_0805, 1)


def test_persistent_500_is_recorded_failed_with_its_error_then_sent_next_run(
    db: Engine, slack: SlackStandIn
) -> None:
    slack.fail("chat.postMessage", "500", times=3)  # the first rep's send and its 2 retries
    first = digest_job(db, slack, retries=2).run(MONDAY_0805_UTC)
    assert (first.sent, first.failed) == (3, 1)
    [failed] = [r for r in rows(db).values() if r.status == "failed"]
    assert failed.error == "Slack chat.postMessage: HTTP 500 internal_error"
    with db.connect() as conn:
        run = conn.execute(
            select(JobRun.outcome, JobRun.detail).where(JobRun.job == "digest")
        ).one()
    assert run.outcome == "partly failed" and "1 failed" in run.detail

    second = digest_job(db, slack).run(MONDAY_0805_UTC + timedelta(minutes=31))
    assert second.sent == 1
    assert dms(slack) == dict.fromkeys(DUE_AT_0805, 1)
    assert {r.status for r in rows(db).values()} == {"sent"}


class Crash(BaseException):
    """The process dies here (not an Exception: nothing catches it)."""


def crash_on_call(monkeypatch: pytest.MonkeyPatch, target: object, name: str, n: int) -> None:
    real, count = getattr(target, name), {"calls": 0}

    def wrapper(*args, **kwargs):
        count["calls"] += 1
        if count["calls"] == n:
            raise Crash()
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, wrapper)


def test_crash_after_slack_accepted_a_dm_does_not_send_it_twice(
    db: Engine, slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash_on_call(monkeypatch, claims, "mark_sent", 2)  # Slack has the 2nd DM; the DB not yet
    with pytest.raises(Crash):
        digest_job(db, slack).run(MONDAY_0805_UTC)
    monkeypatch.undo()
    assert len(slack.delivered("chat.postMessage")) == 2
    assert sorted(r.status for r in rows(db).values()) == ["pending", "sent"]

    # restarted at once: the dead run still holds the job until its lease runs out
    again = digest_job(db, slack, owner="new:2").run(MONDAY_0805_UTC)
    assert not again.ran and "another process" in again.reason
    # then the rest is sent, and the pending delivery is found in the DM instead of re-sent
    after = digest_job(db, slack, owner="new:2").run(MONDAY_0805_UTC + timedelta(minutes=11))
    assert (after.sent, after.reconciled) == (2, 1)
    assert dms(slack) == dict.fromkeys(DUE_AT_0805, 1)
    assert {r.status for r in rows(db).values()} == {"sent"}
    with db.connect() as conn:
        statuses = sorted(conn.execute(select(JobRun.status)).scalars())
    assert statuses == ["abandoned", "succeeded"]


def test_crash_before_sending_sends_after_restart(
    db: Engine, slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.jobs import digest

    crash_on_call(monkeypatch, digest, "digest_message", 3)
    with pytest.raises(Crash):
        digest_job(db, slack).run(MONDAY_0805_UTC)
    monkeypatch.undo()
    assert len(slack.delivered("chat.postMessage")) == 2
    digest_job(db, slack, owner="new:2").run(MONDAY_0805_UTC + timedelta(minutes=11))
    assert dms(slack) == dict.fromkeys(DUE_AT_0805, 1)


def test_two_replicas_at_the_same_moment_send_each_rep_one_dm(
    db: Engine, slack: SlackStandIn
) -> None:
    parallel = JobSettings(digest_pace_per_s=0, digest_workers=4)
    reports = race(
        db,
        2,
        lambda e, i: digest_job(e, slack, owner=f"replica:{i}", settings=parallel).run(
            MONDAY_0805_UTC
        ),
    )
    assert sum(r.sent for r in reports) == 4
    assert dms(slack) == dict.fromkeys(DUE_AT_0805, 1)


def test_a_manual_run_in_the_same_period_sends_nobody_twice(
    db: Engine, slack: SlackStandIn
) -> None:
    digest_job(db, slack).run(MONDAY_0805_UTC)
    manual = digest_job(db, slack).run(MONDAY_0805_UTC + timedelta(hours=1), manual=True)
    # nobody already served gets a second DM; by hand, Los Angeles (still Sunday night there)
    # gets the digest of its own current period, last week's, which it never had
    assert manual.sent == 1
    assert dms(slack) == {**dict.fromkeys(DUE_AT_0805, 1), "D0REPE": 1}
    assert rows(db)[5].period == "2026-11-16T08:00"
    assert digest_job(db, slack).run(MONDAY_0805_UTC + timedelta(hours=2), manual=True).sent == 0


def test_opted_out_reps_get_nothing(db: Engine, slack: SlackStandIn) -> None:
    job_queries.save_digest_setting(db, 1, MONDAY_0805_UTC.replace(tzinfo=None), opted_out=True)
    digest_job(db, slack).run(MONDAY_0805_UTC)
    assert "D0REPA" not in dms(slack) and len(dms(slack)) == 3


def test_no_live_model_no_digest(db: Engine, slack: SlackStandIn) -> None:
    from sqlalchemy import update

    from db.models import ModelVersion

    with db.begin() as conn:
        conn.execute(update(ModelVersion).values(status="retired"))
    report = digest_job(db, slack).run(MONDAY_0805_UTC)
    assert not report.ran and "no live model" in report.reason
    assert slack.calls == []


def test_a_digest_missed_by_more_than_the_grace_waits_for_next_period(
    db: Engine, slack: SlackStandIn
) -> None:
    assert not digest_job(db, slack).run(MONDAY_0805_UTC + timedelta(days=2)).ran
    assert slack.calls == []


def fake_time() -> tuple[list[float], list[float], dict]:
    clock, slept = [0.0], []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    return clock, slept, {"clock": lambda: clock[0], "sleep": sleep}


def test_posts_are_paced_to_the_configured_rate(db: Engine, slack: SlackStandIn) -> None:
    _, slept, fake = fake_time()
    pacer = Pacer(2.0, tier3_per_s=0, **fake)  # 2 messages/s; Tier 3 calls not paced
    digest_job(db, slack, pacer=pacer).run(MONDAY_0805_UTC)
    assert slept == [0.5, 0.5, 0.5]  # 4 DMs: three waits of half a second
    assert len(slack.delivered("chat.postMessage")) == 4


def test_pacer_spaces_each_method_on_its_own() -> None:
    clock, slept, fake = fake_time()
    pacer = Pacer(1.0, tier3_per_s=0.5, **fake)
    waits = [
        pacer.wait(m)
        for m in (
            "chat.postMessage",
            "conversations.open",
            "chat.postMessage",
            "conversations.open",
        )
    ]
    assert waits == [0.0, 0.0, 1.0, 1.0]  # post at 1/s; open at 1 per 2 s, 1 s already gone
    assert clock[0] == 2.0
    assert Pacer(0, **fake).wait("chat.postMessage") == 0.0 and len(slept) == 2


def test_a_rep_with_nothing_to_show_is_recorded_and_not_asked_again(
    db: Engine, slack: SlackStandIn
) -> None:
    from sqlalchemy import delete

    from db.models import Recommendation

    with db.begin() as conn:  # rep C's accounts (6, 7) lose their picks
        conn.execute(delete(Recommendation).where(Recommendation.customer_id.in_([6, 7])))
    first = digest_job(db, slack).run(MONDAY_0805_UTC)
    assert (first.sent, first.skipped) == (3, 1)
    assert rows(db)[3].status == "skipped" and "D0REPC" not in dms(slack)
    assert not digest_job(db, slack).run(MONDAY_0805_UTC + timedelta(minutes=5)).ran
