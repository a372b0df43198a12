"""`recbot scheduler | jobs | retrain --now | digest --dry-run|--now`: the scheduled jobs."""

from __future__ import annotations

import dataclasses
import logging

import click

from bot.cli.context import CliContext, pass_context
from bot.settings import JobSettings, SlackSettings
from core.errors import RecbotError


@click.command("scheduler", short_help="Run the retrain and digest jobs on schedule.")
@pass_context
def scheduler(ctx: CliContext) -> None:
    """Run the weekly retrain and the reps' digests on schedule (no Slack app).

    Use it when `recbot serve` runs with SCHEDULER=off; any number of these may run at once.
    """
    from bot.jobs.service import main

    ctx.engine()  # schema check first, as one line
    main()


@click.command("jobs", short_help="Job schedules, next and last runs, deliveries.")
@click.option(
    "--runs",
    type=click.IntRange(1, 50),
    default=3,
    show_default=True,
    help="How many recent runs of each job to list.",
)
@pass_context
def jobs(ctx: CliContext, runs: int) -> None:
    """Schedules, next runs, last runs and outcomes, digest deliveries."""
    from bot.jobs.schedule import utcnow
    from bot.jobs.status import cli_lines, overview

    with ctx.engine().connect() as conn:
        view = overview(conn, JobSettings.from_env(), utcnow(), runs)
    for line in cli_lines(view):
        click.echo(line)


@click.command("retrain", short_help="Retrain now, as the weekly job does.")
@click.option(
    "--now",
    "now_",
    is_flag=True,
    required=True,
    help="Run the scheduled retrain job now (a child process, the same gate).",
)
@click.option(
    "--timeout",
    type=click.IntRange(10),
    default=None,
    help="Seconds before training is stopped (default RETRAIN_TIMEOUT, 3 hours).",
)
@pass_context
def retrain(ctx: CliContext, now_: bool, timeout: int | None) -> None:  # noqa: ARG001
    """Retrain the model now, exactly as the weekly job does, and record the outcome."""
    from bot.jobs.scheduler import build_jobs

    settings = JobSettings.from_env()
    if timeout is not None:
        settings = dataclasses.replace(settings, retrain_timeout_s=timeout)
    job = build_jobs(ctx.engine(), settings, SlackSettings.from_env()).retrain
    click.echo("training in a child process (this can take a while) …")
    result = job.run(manual=True)
    click.echo(result.line())
    if result.outcome in ("failed", "skipped"):
        raise SystemExit(1)


@click.command("digest", short_help="Preview (--dry-run) or send (--now) the digests.")
@click.option("--dry-run", is_flag=True, help="Print each digest and its recipient; send nothing.")
@click.option("--now", "now_", is_flag=True, help="Send this period's digests that are not sent.")
@pass_context
def digest(ctx: CliContext, dry_run: bool, now_: bool) -> None:
    """The reps' digest DMs for the current period: preview them, or send them now."""
    if dry_run == now_:
        raise RecbotError("give exactly one of --dry-run or --now")
    settings, slack = JobSettings.from_env(), SlackSettings.from_env()
    if dry_run:
        _dry_run(ctx, settings)
        return
    if not slack.bot_token:
        raise RecbotError("SLACK_BOT_TOKEN is not set: digests cannot be sent")
    from bot.jobs.scheduler import build_jobs

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    report = build_jobs(ctx.engine(), settings, slack).digest.run(manual=True)
    click.echo(f"digest: {report.summary()}")
    for error in report.errors[:20]:
        click.echo(f"  {error}")
    if report.failed:
        raise SystemExit(1)


def _dry_run(ctx: CliContext, settings: JobSettings) -> None:
    from bot.jobs.digest import DigestLines, plan
    from bot.jobs.digest_message import as_text, digest_message
    from bot.jobs.schedule import naive_utc, utcnow
    from db import job_queries, serving
    from db.settings import OutcomeSettings

    outcome = OutcomeSettings.from_env()
    with ctx.engine().connect() as conn:
        model = serving.live_model(conn)
        now = utcnow()
        due, opted_out = plan(conn, settings, now, manual=True)
        if model is None:
            raise RecbotError("no live model yet, so there is nothing to send: run `recbot train`")
        shown = 0
        for item in due:
            rep = item.recipient
            accounts = job_queries.rep_accounts(conn, rep.rep_id, model, naive_utc(now))
            lines = DigestLines.split(accounts, settings.digest_accounts, outcome)
            if not lines.urgent:
                continue
            to = rep.slack_user_id or f"the Slack user with email {rep.email} (looked up)"
            message = digest_message(
                rep.name,
                item.period,
                lines.visible,
                lines.shown,
                settings.digest_picks,
                model.id,
                f"{rep.rep_id}:{item.period}",
                model.calibration.horizon_weeks if model.calibration else None,
            )
            click.echo(
                f"=== to {rep.name} <{rep.email}> via {to}, period {item.period} ({rep.time_zone})"
            )
            click.echo(as_text(message))
            if lines.held:
                held = ", ".join(a.customer.external_id for a in lines.held)
                click.echo(f"(held out of this digest for the uplift measurement: {held})")
            click.echo("")
            shown += 1
    click.echo(
        f"{shown} digest(s) would be sent; {opted_out} rep(s) opted out; "
        "reps already sent this period are left out"
    )


def register(cli: click.Group) -> None:
    for command in (scheduler, jobs, retrain, digest):
        cli.add_command(command)
