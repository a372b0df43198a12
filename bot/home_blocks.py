"""The App Home tab: the rep's accounts by the attention they need, each with its top action,
the rep's digest setting and the live model."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.account_lines import account_title, action_line, quiet_line
from bot.block_kit import MAX_VIEW_BLOCKS, context, day, divider, header, section
from bot.blocks import COMMAND
from bot.mrkdwn import escape
from db.attention import Account
from db.serving import LiveModel


@dataclass(frozen=True)
class DigestState:
    linked: bool  # a sales-rep record is linked to this Slack user
    opted_out: bool = False
    schedule: str = ""


_WEEKLY = re.compile(r"(\d{1,2}) (\d{1,2}) \* \* (\w{3}|\d)")
_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


def when_words(cron: str) -> str:
    """'0 8 * * mon' -> 'Mondays at 08:00'; any other schedule as it is written."""
    as_written = f"`{escape(cron, 60)}`"
    match = _WEEKLY.fullmatch(cron.strip().lower())
    if match is None:
        return as_written
    minute, hour, day = match.groups()
    if day.isdigit():
        index = int(day) % 7  # cron's 0 and 7 are both Sunday
    elif day in _DAYS:
        index = _DAYS.index(day)
    else:
        return as_written
    if int(hour) > 23 or int(minute) > 59:
        return as_written
    names = ["Sundays", "Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays"]
    return f"{names[index]} at {int(hour):02d}:{int(minute):02d}"


def digest_line(state: DigestState) -> str:
    if not state.linked:
        return (
            "*Weekly digest:* none: no sales-rep record is linked to your Slack user "
            "(an admin adds your Slack id with `recbot import reps`)."
        )
    when = f" ({when_words(state.schedule)}, your time zone)" if state.schedule else ""
    if state.opted_out:
        return f"*Weekly digest:* off{when} · `{COMMAND} digest on` restarts it"
    return f"*Weekly digest:* on{when} · `{COMMAND} digest off` stops it"


def model_line(model: LiveModel) -> str:
    return f"Model v{model.id} · trained {day(model.trained_at)} · `{COMMAND} status` for details"


def _account_block(account: Account, horizon: int | None) -> dict:
    if account.actions:
        detail = action_line(account.actions[0], horizon)
        more = len(account.actions) - 1
        if more:
            detail += f"\n_and {more} more: `{COMMAND} {account.customer.external_id}`_"
    else:
        detail = quiet_line(account)
    return section(f"{account_title(account)}\n{detail}")


def outcome_lines(created_at: datetime, figures: dict) -> str:
    """An admin's headline of the latest `recbot report` (db/outcomes.py: Report.headline)."""
    days = figures.get("window_days", 30)
    rate = figures.get("hit_rate")
    shown = int(figures.get("shown") or 0)
    since, until = (escape(str(figures.get(k, ""))[:10]) for k in ("since", "until"))
    lines = [f"*Did the picks sell?* Report of {day(created_at)}, showings {since} to {until}"]
    if not shown or rate is None:
        lines.append("Nothing was shown in that period.")
    else:
        lines.append(
            f"{shown:,} picks shown · {rate:.1%} bought within {days} days "
            f"({int(figures.get('hits') or 0):,}; {int(figures.get('open') or 0):,} still open) · "
            f"👍 {int(figures.get('up') or 0)} · 👎 {int(figures.get('down') or 0)}"
        )
    uplift = figures.get("uplift")
    if uplift:
        lines.append(
            f"Digest uplift: {uplift['difference'] * 100:+.1f} points "
            f"(95 % CI {uplift['low'] * 100:+.1f} to {uplift['high'] * 100:+.1f}) · "
            f"{uplift['exposed_rate']:.1%} of digest lines bought vs {uplift['holdout_rate']:.1%} "
            f"for {uplift['holdout_accounts']} held-out accounts"
        )
    else:
        lines.append("Digest uplift: not enough held-out accounts with closed windows yet.")
    lines.append("`recbot report` on the server writes the full report.")
    return "\n".join(lines)


def home_view(
    accounts: list[Account],
    model: LiveModel | None,
    total_accounts: int,
    digest: DigestState,
    outcome: tuple[datetime, dict] | None = None,
) -> dict:
    """`accounts`: the ones to show, most attention first; `total_accounts`: all the rep's;
    `outcome`: the latest report's headline (admins only)."""
    urgent = [a for a in accounts if a.needs_attention]
    intro = f"`{COMMAND} &lt;customer&gt;` in any channel gives the full answer."
    if model is not None and total_accounts:
        need = "needs" if len(urgent) == 1 else "need"
        intro = (
            f"{len(urgent)} of your {total_accounts} accounts {need} attention, overdue "
            f"reorders first. {intro}"
        )
    blocks: list[dict] = [header("Your accounts"), context(intro), section(digest_line(digest))]
    if outcome is not None:
        blocks += [divider(), section(outcome_lines(*outcome))]
    if model is None:
        blocks.append(section("No model is live yet, so there are no picks to show."))
    elif not accounts:
        blocks.append(
            section(
                "No accounts are assigned to you yet. Ask an admin to link your "
                "Slack user to your sales-rep record; meanwhile "
                f"`{COMMAND} &lt;customer&gt;` works for any account you may see."
            )
        )
    horizon = model.calibration.horizon_weeks if model and model.calibration else None
    quiet = [a for a in accounts if not a.needs_attention]
    for title, group in (("Needs attention", urgent), ("Nothing urgent", quiet)):
        if group:
            blocks += [divider(), section(f"*{title}*")]
            blocks += [_account_block(a, horizon) for a in group]
    if total_accounts > len(accounts):
        blocks.append(
            context(
                f"Showing {len(accounts)} of {total_accounts} accounts. "
                f"Use `{COMMAND} &lt;customer&gt;` for the others."
            )
        )
    if model is not None:
        blocks += [divider(), context(model_line(model))]
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}
