"""Block Kit primitives every surface builds on: sections, context lines, buttons, menus.

Texts passed in are mrkdwn the caller has already escaped (bot.mrkdwn.escape); plain_text
fields go through bot.mrkdwn.plain here. Slack's limits are applied where a value is set.
"""

from __future__ import annotations

import json
from datetime import datetime

from bot.mrkdwn import mrkdwn, plain

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100


def value(**fields: object) -> str:
    """A compact button or menu-option value; listeners parse it with bot.actions.values."""
    return json.dumps(fields, separators=(",", ":"))


def header(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": plain(text), "emoji": False}}


def section(md: str, accessory: dict | None = None, block_id: str = "") -> dict:
    block: dict = {"type": "section", "text": mrkdwn(md)}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def context(*lines: str) -> dict:
    """Small grey lines (at most 10 elements); empty lines are left out."""
    return {"type": "context", "elements": [mrkdwn(md) for md in lines if md][:10]}


def divider() -> dict:
    return {"type": "divider"}


def button(label: str, action_id: str, val: str, style: str | None = None) -> dict:
    element = {
        "type": "button",
        "text": {"type": "plain_text", "text": plain(label, 75), "emoji": True},
        "action_id": action_id,
        "value": val,
    }
    if style:
        element["style"] = style
    return element


def overflow(action_id: str, options: list[tuple[str, str]]) -> dict:
    """A ⋯ menu of (label, value) options (2 to 5)."""
    return {
        "type": "overflow",
        "action_id": action_id,
        "options": [
            {"text": {"type": "plain_text", "text": plain(label, 75), "emoji": True}, "value": v}
            for label, v in options[:5]
        ],
    }


def actions(block_id: str, *elements: dict) -> dict:
    return {"type": "actions", "block_id": block_id, "elements": list(elements)[:25]}


def day(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d") if when else "unknown"


def minute(when: datetime | None) -> str:
    """A naive UTC time as Slack readers see it."""
    return f"{when:%Y-%m-%d %H:%M} UTC" if when else "unknown"
