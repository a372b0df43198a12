"""The weekly digest DM: a rep's accounts by opportunity, top picks with reasons, an Open button."""

from __future__ import annotations

import json

from bot.mrkdwn import escape, mrkdwn, plain
from db.job_queries import Account

OPEN_ACTION = "digest_open"  # handled by bot.actions.digest.open_from_digest
METADATA_EVENT = "recbot_digest"


def digest_message(
    rep_name: str,
    period: str,
    accounts: list[Account],
    shown: int,
    model_id: int,
    delivery_key: str,
) -> dict:
    """chat.postMessage arguments (text, blocks, metadata) for one rep's digest."""
    with_picks = [a for a in accounts if a.picks]
    top = with_picks[:shown]
    title = f"Your weekly opportunities, {plain(rep_name, 60)}"
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150], "emoji": False}},
        {
            "type": "context",
            "elements": [
                mrkdwn(
                    f"Your top {len(top)} of {len(accounts)} accounts by opportunity, "
                    f"week of {escape(period[:10])} · model v{model_id} · "
                    "`/recommend digest off` to stop these"
                )
            ],
        },
    ]
    for account in top:
        blocks.append({"type": "divider"})
        blocks.append(_account_block(account))
    rest = len(accounts) - len(top)
    if rest:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    mrkdwn(
                        f"{rest} more account{'s' if rest != 1 else ''}: "
                        "`/recommend &lt;customer&gt;` shows any of them."
                    )
                ],
            }
        )
    # The fallback text is mrkdwn too (notifications show it): names are escaped like the blocks.
    names = ", ".join(escape(a.customer.name, 60) for a in top[:3])
    text = f"Weekly opportunities: {names}" if names else "Weekly opportunities"
    return {
        "text": text[:300],
        "blocks": blocks,
        "metadata": {"event_type": METADATA_EVENT, "event_payload": {"delivery": delivery_key}},
    }


def _account_block(account: Account) -> dict:
    c = account.customer
    lines = [f"*{escape(c.name, 120)}* ({escape(c.external_id, 40)})"]
    lines += [f"• {escape(p.name, 80)}: {escape(p.reason, 140)}" for p in account.picks]
    return {
        "type": "section",
        "text": mrkdwn("\n".join(lines)[:3000]),
        "accessory": {
            "type": "button",
            "action_id": OPEN_ACTION,
            "text": {"type": "plain_text", "text": "Open", "emoji": False},
            "value": json.dumps({"c": c.id, "n": 5}, separators=(",", ":")),
        },
    }


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
