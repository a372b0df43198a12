"""Reading back the compact JSON a button or a menu option carries (bot.block_kit.value)."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class ButtonValue:
    customer_id: int
    product_id: int | None
    n: int
    new_only: bool
    vote: int | None = None  # +1 / -1 from the feedback menu


def button_value(body: dict) -> ButtonValue | None:
    """The clicked button's (or chosen menu option's) value, or None when missing or malformed."""
    try:
        action = body["actions"][0]
        chosen = action.get("selected_option") or {}
        raw = json.loads(chosen["value"] if "value" in chosen else action["value"])
        if not isinstance(raw, dict):
            return None
        product, vote = raw.get("p"), raw.get("v")
        return ButtonValue(
            customer_id=int(raw["c"]),
            product_id=int(product) if product is not None else None,
            n=int(raw.get("n", 5)),
            new_only=bool(raw.get("new", False)),
            vote=(1 if int(vote) > 0 else -1) if vote is not None else None,
        )
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        return None


def user_id(body: dict) -> str:
    return str((body.get("user") or {}).get("id", ""))
