"""`recbot report`: did the picks sell? Hit rate, attributed purchases, digest uplift against
the holdout, and usage, on the terminal and as a self-contained HTML page (db/outcomes.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from bot.cli.context import CliContext, pass_context
from bot.report_page import render
from core.errors import RecbotError
from db import outcomes
from db.outcomes import Report, Tally
from db.settings import OutcomeSettings

DEFAULT_DAYS = 90


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _rate(t: Tally) -> str:
    return "–" if t.rate is None else f"{t.rate:.1%}"


def _table(title: str, rows: list[tuple[str, Tally]]) -> list[str]:
    width = max([len(title), *(len(name) for name, _ in rows)])
    out = [
        f"{title:<{width}}  {'shown':>8}  {'bought':>8}  {'hit rate':>8}  {'open':>6}  "
        f"{'amount':>12}"
    ]
    out += [
        f"{name:<{width}}  {t.shown:>8,}  {t.hits:>8,}  {_rate(t):>8}  {t.open:>6,}  "
        f"{t.amount:>12,.2f}"
        for name, t in rows
    ]
    return [*out, ""]


def terminal_lines(found: Report) -> list[str]:
    o, u = found.overall, found.uplift
    lines = [
        f"Showings {found.since:%Y-%m-%d} to {found.until:%Y-%m-%d}, purchases within "
        f"{found.window_days} days of a product's first showing (as of {found.as_of:%Y-%m-%d}).",
        f"Shown {o.shown:,} · bought {o.hits:,} ({_rate(o)}) · still open {o.open:,} · "
        f"quantity {o.quantity:,.0f} · amount {o.amount:,.2f} · 👍 {found.up} · 👎 {found.down}",
    ]
    if u is None:
        lines.append(
            "Digest uplift: not enough held-out accounts with closed windows yet "
            f"(digest lines: {found.digest_lines.shown:,} sent, "
            f"{found.holdout_lines.shown:,} held out)."
        )
    else:
        lines.append(
            f"Digest uplift: {u.difference * 100:+.1f} points (95 % CI {u.low * 100:+.1f} to "
            f"{u.high * 100:+.1f}): {u.exposed_rate:.1%} of digest lines bought by "
            f"{u.exposed_accounts} accounts that got them, {u.holdout_rate:.1%} by "
            f"{u.holdout_accounts} held-out accounts."
        )
    lines.append("")
    versions = sorted(found.by_version.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
    lines += _table("surface", sorted(found.by_surface.items()))
    lines += _table("section", sorted(found.by_mode.items()))
    lines += _table("version", [("none" if v is None else f"v{v}", t) for v, t in versions])
    lines += _table("rep", sorted(found.by_rep.items(), key=lambda kv: -kv[1].shown)[:15])
    if found.usage:
        lines.append(
            "Most active reps: "
            + ", ".join(
                f"{r.rep} ({r.answers} answers, {r.digest_lines} digest lines)"
                for r in found.usage[:5]
            )
        )
    return lines


@click.command("report", short_help="Did the picks sell? Hit rate, uplift vs holdout, usage.")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help=f"First day of showings to count (default: {DEFAULT_DAYS} days before --until).",
)
@click.option(
    "--until",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Last day of showings to count (default: now).",
)
@click.option(
    "--window",
    type=click.IntRange(1, 365),
    help="Days after a showing in which a purchase counts (default: ATTRIBUTION_DAYS, 30).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write DIR/report.html (self-contained: opens offline).",
)
@pass_context
def report_command(
    ctx: CliContext,
    since: datetime | None,
    until: datetime | None,
    window: int | None,
    out: Path | None,
) -> None:
    """What reps were shown, what their customers bought after, and whether the digest changed it
    (uplift against the held-out accounts). Stores the headline for admins' App Home."""
    settings = OutcomeSettings.from_env()
    now = _now()
    end = until + timedelta(days=1) if until else now
    start = since or end - timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise RecbotError("--since must be before --until")
    with ctx.engine().begin() as conn:
        found = outcomes.report(conn, start, end, window or settings.attribution_days, now)
        outcomes.save(conn, found, now)
    for line in terminal_lines(found):
        click.echo(line)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        page = out / "report.html"
        page.write_text(render(found), encoding="utf-8")
        click.echo(f"wrote {page}")


def register(cli: click.Group) -> None:
    cli.add_command(report_command)
