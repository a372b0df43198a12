"""The jobs' side of the Slack app: `/recommend digest on|off`, schedule lines in
`/recommend status`, and the digest's Open button."""

from __future__ import annotations

import functools
import logging
from datetime import datetime

from slack_bolt import Ack, App, BoltContext, Respond

from bot import blocks
from bot.actions.values import button_value, user_id
from bot.answers import DB_FAULTS, picked_reply
from bot.blocks import Reply
from bot.deps import Deps
from bot.jobs.digest_message import OPEN_ACTION
from bot.jobs.schedule import naive_utc, next_occurrence, utcnow
from bot.jobs.status import overview, slack_lines
from bot.parsing import clean, parse
from bot.settings import JobSettings
from db import job_queries

log = logging.getLogger(__name__)
USAGE = "`/recommend digest off` stops your weekly digest DM; `/recommend digest on` restarts it."


@functools.cache
def job_settings() -> JobSettings:
    return JobSettings.from_env()


def next_retrain() -> datetime | None:
    """For Deps.next_retrain: the next scheduled retrain (naive UTC), from RETRAIN_CRON."""
    settings = job_settings()
    upcoming = next_occurrence(settings.retrain_cron, settings.scheduler_tz, utcnow())
    return None if upcoming is None else naive_utc(upcoming)


def digest_command(deps: Deps, slack_user: str, text: str | None) -> Reply | None:
    """The reply to `/recommend digest [on|off]`, or None when the text is something else."""
    words = clean(text).lower().split(" ")
    if words[0] != "digest" or len(words) > 2:
        return None
    choice = words[1] if len(words) == 2 else ""
    if choice not in ("", "on", "off"):
        return blocks.message(USAGE)
    try:
        with deps.connect() as conn:
            rep = job_queries.rep_for_slack_user(conn, slack_user)
            if rep is None:
                return blocks.message(
                    "No sales-rep record is linked to your Slack user, so there "
                    "is no digest to change. Ask an admin to add your Slack id."
                )
            if not choice:
                state = "off" if job_queries.opted_out(conn, rep[0]) else "on"
                return blocks.message(f"Your weekly digest is *{state}*. {USAGE}")
        job_queries.save_digest_setting(deps.engine, rep[0], deps.now(), opted_out=choice == "off")
    except DB_FAULTS as exc:
        log.warning("database unavailable for digest settings: %s", type(exc).__name__)
        return blocks.message(blocks.UNAVAILABLE)
    if choice == "off":
        return blocks.message(
            "Your weekly digest is now *off*. `/recommend digest on` brings it back."
        )
    return blocks.message("Your weekly digest is now *on*: the next one arrives on schedule.")


def with_job_status(reply: Reply, deps: Deps, text: str | None) -> Reply:
    """`/recommend status` gets the schedules and last outcomes appended."""
    if parse(text).kind != "status":
        return reply
    try:
        with deps.connect() as conn:
            view = overview(conn, job_settings(), utcnow(), runs=1)
    except DB_FAULTS:
        return reply
    lines = "\n".join(slack_lines(view))
    section = {"type": "section", "text": {"type": "mrkdwn", "text": lines[:3000]}}
    return Reply(reply.text, [*reply.blocks, section], reply.is_answer)


def open_from_digest(body: dict, respond: Respond, context: BoltContext) -> None:
    """The digest's Open button: the full answer as a new message, the digest left in place."""
    value = button_value(body)
    if value is None:
        return
    reply = picked_reply(context["deps"], user_id(body), value.customer_id, value.n, False)
    respond(replace_original=False, **reply.payload())


def _ack(ack: Ack) -> None:
    ack()


def register(app: App) -> None:
    app.action(OPEN_ACTION)(ack=_ack, lazy=[open_from_digest])
