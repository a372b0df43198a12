"""The jobs in the Slack app: `/recommend digest on|off`, status lines, the digest's Open button."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from bot.actions.digest import open_from_digest
from bot.commands.recommend import recommend
from bot.deps import Deps
from bot.jobs import claims
from bot.jobs.digest_message import OPEN_ACTION
from bot.jobs.status import next_retrain
from db import job_queries
from tests.bot import fixtures
from tests.bot.conftest import make_deps
from tests.bot.doubles import AckDouble, RespondDouble, all_text

T0 = datetime(2026, 11, 23, 2, 0)


def command(deps: Deps, user: str, text: str) -> str:
    ack = AckDouble()
    recommend(ack, {"user_id": user, "text": text}, {"deps": deps})  # type: ignore[arg-type]
    return all_text(ack.only["blocks"])


def test_digest_off_and_on_again(db: Engine) -> None:
    deps = make_deps(db)
    assert "is now *off*" in command(deps, fixtures.REP_A, "digest off")
    with db.connect() as conn:
        assert job_queries.opted_out(conn, 1)
    assert "weekly digest is *off*" in command(deps, fixtures.REP_A, "digest")
    assert "is now *on*" in command(deps, fixtures.REP_A, "Digest ON")
    with db.connect() as conn:
        assert not job_queries.opted_out(conn, 1)


def test_digest_for_a_user_without_a_rep_record_and_bad_words(db: Engine) -> None:
    deps = make_deps(db)
    assert "No sales-rep record" in command(deps, fixtures.STRANGER, "digest off")
    assert "`/recommend digest off` stops" in command(deps, fixtures.REP_A, "digest maybe")


def test_a_rep_found_by_email_can_opt_out_too(db: Engine) -> None:
    job_queries.save_digest_setting(db, 4, T0, slack_user_id="U0REPD")
    assert "is now *off*" in command(make_deps(db), "U0REPD", "digest off")


def test_a_customer_called_digest_is_still_found(db: Engine) -> None:
    text = command(make_deps(db), fixtures.REP_A, "digest off please")
    assert "No customer" in text  # three words: not the digest command


def test_status_shows_schedules_next_retrain_and_last_outcomes(db: Engine) -> None:
    run = claims.claim_run(db, "retrain", "2026-11-23T02:00", T0, "h:1")
    assert run is not None
    claims.finish_run(db, run, T0, "failed", "failed", "timed out after 10800s <@U0X>")
    deps = make_deps(db)
    deps.next_retrain = next_retrain
    text = command(deps, fixtures.REP_A, "status")
    assert "*Next scheduled retrain:* 20" in text and "not scheduled" not in text
    assert "*Retrain schedule:* `0 2 * * mon (UTC)`" in text
    assert "failed: timed out after 10800s &lt;@U0X&gt;" in text
    assert "*Last digest run:* none yet" in text


def test_open_button_posts_the_full_answer_beside_the_digest(db: Engine) -> None:
    deps, respond = make_deps(db), RespondDouble()
    body = {
        "user": {"id": fixtures.REP_A},
        "actions": [{"action_id": OPEN_ACTION, "value": '{"c":1,"n":5}'}],
    }
    open_from_digest(body, respond, {"deps": deps})  # type: ignore[arg-type]
    sent = respond.only
    assert sent["replace_original"] is False
    assert "Acme Bistro" in sent["text"] and "*Likely to reorder*" in all_text(sent["blocks"])


def test_manifest_lets_the_digest_read_its_dms_back() -> None:
    from pathlib import Path

    import yaml

    manifest = yaml.safe_load((Path(__file__).resolve().parents[2] / "manifest.yml").read_text())
    assert {"chat:write", "im:write", "im:history", "users:read.email"} <= set(
        manifest["oauth_config"]["scopes"]["bot"]
    )
