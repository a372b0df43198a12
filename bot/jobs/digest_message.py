"""The weekly digest DM: only what a rep should act on, most urgent account first.

Each account that needs attention (db/attention.py: overdue or due reorders, lapsed products, a
new product with strong evidence) gets one section with its action lines and an Open button;
accounts with nothing to do are left out, and the header says how many need attention.
"""

from __future__ import annotations

from bot.account_lines import account_title, action_line
from bot.block_kit import button, context, divider, header, section, value
from bot.mrkdwn import escape, plain
from db.attention import Account

OPEN_ACTION = "digest_open"  # handled by bot.actions.digest.open_from_digest
METADATA_EVENT = "recbot_digest"
OPEN_N = 10  # products per section in the opened answer: every action line is among them


def digest_message(
    rep_name: str,
    period: str,
    accounts: list[Account],
    shown: int,
    per_account: int,
    model_id: int,
    delivery_key: str,
    horizon_weeks: int | None = None,
) -> dict:
    """chat.postMessage arguments (text, blocks, metadata) for one rep's digest."""
    urgent = [a for a in accounts if a.needs_attention]
    top = urgent[:shown]
    need = "account needs" if len(urgent) == 1 else "accounts need"
    title = f"{len(urgent)} {need} attention this week, {plain(rep_name, 60)}"
    blocks: list[dict] = [
        header(title),
        context(
            f"Week of {escape(period[:10])} · overdue reorders first, then due, lapsed and new "
            f"products · model v{model_id} · `/recommend digest off` to stop these"
        ),
    ]
    for account in top:
        blocks += [divider(), _account_block(account, per_account, horizon_weeks)]
    rest = len(urgent) - len(top)
    if rest:
        blocks.append(
            context(
                f"{rest} more account{'s' if rest != 1 else ''} need attention: "
                "`/recommend &lt;customer&gt;` shows any of them."
            )
        )
    # The fallback text is mrkdwn too (notifications show it): names are escaped like the blocks.
    names = ", ".join(escape(a.customer.name, 60) for a in top[:3])
    text = f"{len(urgent)} {need} attention" + (f": {names}" if names else "")
    return {
        "text": text[:300],
        "blocks": blocks,
        "metadata": {"event_type": METADATA_EVENT, "event_payload": {"delivery": delivery_key}},
    }


def _account_block(account: Account, per_account: int, horizon_weeks: int | None) -> dict:
    lines = [account_title(account)]
    lines += [f"• {action_line(a, horizon_weeks)}" for a in account.actions[:per_account]]
    more = len(account.actions) - per_account
    if more > 0:
        lines.append(f"_and {more} more: Open shows them_")
    open_button = button("Open", OPEN_ACTION, value(c=account.customer.id, n=OPEN_N))
    return section("\n".join(lines), open_button)


def as_text(message: dict) -> str:
    """The digest as plain lines, for `recbot digest --dry-run`."""
    out = []
    for block in message["blocks"]:
        if block["type"] == "header":
            out.append(block["text"]["text"])
        elif block["type"] == "section":
            out.append(block["text"]["text"].replace("*", ""))
        elif block["type"] == "context":
            out.append(block["elements"][0]["text"])
    return "\n".join(out).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
