"""`recbot sync`: pull transactions (and master data) from the sources in the sources file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import click
from sqlalchemy import Engine
from tqdm import tqdm

from bot.cli.context import CliContext, pass_context
from bot.jobs import claims
from bot.jobs.schedule import naive_utc
from bot.jobs.sync import JOB, another_running, heartbeating
from core.errors import RecbotError
from db.settings import SyncSettings

if TYPE_CHECKING:
    from db.sync.config import Source
    from db.sync.runs import RejectedRow

SHOWN_REJECTS = 50
DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


@click.command("sync", short_help="Pull transactions from your own database (sources.yml).")
@click.option("--source", "only", metavar="NAME", help="Sync only this source of the file.")
@click.option("--full", is_flag=True, help="Read every row, not only those since the last run.")
@click.option(
    "--since",
    type=click.DateTime(DATE_FORMATS),
    help="Read the rows whose watermark is at or after DATE (UTC), instead of since the last run.",
)
@click.option("--dry-run", is_flag=True, help="Read and check everything; report; write nothing.")
@click.option(
    "--rejects", "show_rejects", is_flag=True, help="List the rows the latest runs rejected."
)
@click.option("--job-run", type=int, hidden=True)  # the scheduler holds this job_runs claim
@pass_context
def sync(
    ctx: CliContext,
    only: str | None,
    full: bool,
    since: datetime | None,
    dry_run: bool,
    show_rejects: bool,
    job_run: int | None,
) -> None:
    """Pull transactions, customers, products and reps from the databases in the sources file
    (SOURCES_FILE, default ./sources.yml), incrementally: only rows whose watermark is newer than
    the last run's, less SYNC_OVERLAP_DAYS. A line seen before replaces its row. Each source is
    one database transaction: a bad row, or any failure, writes nothing (unless the source has
    `skip_invalid: true`)."""
    settings = SyncSettings.from_env()
    if show_rejects:
        _show_rejects(ctx, only)
        return
    if full and since is not None:
        raise RecbotError("give --full or --since, not both")
    from db.sync.config import load_sources

    sources = load_sources(settings.sources_file)
    if only is not None:
        sources = [s for s in sources if s.name == only]
        if not sources:
            raise RecbotError(f"{settings.sources_file.name} has no source {only!r}")
    engine = ctx.engine()
    options = {
        "full": full,
        "since": since,
        "dry_run": dry_run,
        "overlap": timedelta(days=settings.overlap_days),
    }
    if dry_run or job_run is not None:  # a dry run writes nothing; a job's parent holds its claim
        failed, _ = _sync_all(engine, sources, options, job_run)
    else:
        now = naive_utc(datetime.now(UTC))
        claim = None
        if not another_running(engine, now):
            claim = claims.claim_run(
                engine, JOB, f"manual-{now:%Y-%m-%dT%H:%M:%S.%f}", now, claims.owner_id()
            )
        if claim is None:
            raise RecbotError("another sync is running; nothing done (try again once it has ended)")
        outcome = "failed"
        lines = ["stopped before its end"]
        try:
            with heartbeating(engine, claim):
                failed, lines = _sync_all(engine, sources, options, claim.id)
            outcome = "failed" if failed else "synced"
        finally:
            claims.finish_run(
                engine,
                claim,
                naive_utc(datetime.now(UTC)),
                "failed" if outcome == "failed" else "succeeded",
                outcome,
                " | ".join(lines),
            )
    if failed:
        raise SystemExit(1)


def _sync_all(
    engine: Engine, sources: list[Source], options: dict[str, Any], job_run_id: int | None
) -> tuple[bool, list[str]]:
    """Sync each source and print its line (or its error): (whether any failed, the lines)."""
    from db.sync.apply import SyncRejected, sync_source

    failed, lines = False, []
    for source in sources:
        with tqdm(
            unit=" rows", desc=source.name, disable=None, leave=False, unit_scale=True
        ) as bar:
            try:
                report = sync_source(
                    engine,
                    source,
                    job_run_id=job_run_id,
                    on_chunk=_progress(bar),
                    **options,
                )
            except RecbotError as exc:
                if isinstance(exc, SyncRejected):
                    _print_rejects(source.name, exc.report.rejects, exc.report.rows_rejected)
                click.echo(f"Error: {exc}", err=True)
                failed = True
                lines.append(f"{source.name}: FAILED: {exc}")
                continue
        prefix = "Dry run (nothing written): " if options["dry_run"] else "Synced "
        click.echo(prefix + report.summary())
        if report.rows_rejected:
            _print_rejects(source.name, report.rejects, report.rows_rejected)
        lines.append(report.summary())
    return failed, lines


def _progress(bar: tqdm) -> Callable[[int], None]:
    def advance(read: int) -> None:
        bar.update(read - bar.n)

    return advance


def _print_rejects(name: str, rejects: list[RejectedRow], total: int) -> None:
    for reject in rejects[:SHOWN_REJECTS]:
        click.echo(f"{name}: {reject.kind} {reject.label}: {reject.reason}", err=True)
    if total > SHOWN_REJECTS:
        click.echo(f"… and {total - SHOWN_REJECTS:,} more rejected rows", err=True)


def _show_rejects(ctx: CliContext, only: str | None) -> None:
    from db.sync import runs

    with ctx.engine().connect() as conn:
        latest = runs.latest_runs(conn, only)
        if not latest:
            click.echo("no sync has run yet" + (f" for {only}" if only else ""))
            return
        for run in latest:
            when = f"{run.started_at:%Y-%m-%d %H:%M} UTC"
            rejects = runs.rejects_of(conn, run.id)
            click.echo(
                f"{run.source}: run {run.id} ({when}, {run.status}): "
                f"{run.rows_rejected:,} rows rejected"
                + ("" if len(rejects) == run.rows_rejected else f", {len(rejects):,} kept")
            )
            for reject in rejects:
                click.echo(f"  {reject.kind} {reject.label}: {reject.reason}")


def register(cli: click.Group) -> None:
    cli.add_command(sync)
