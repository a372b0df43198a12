"""Reading back the compact JSON a button carries (see bot.blocks.value)."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class ButtonValue:
    customer_id: int
    product_id: int | None
    n: int
    new_only: bool


def button_value(body: dict) -> ButtonValue | None:
    """The clicked button's value, or None when it is missing or malformed."""
    try:
        raw = json.loads(body["actions"][0]["value"])
        if not isinstance(raw, dict):
            return None
        product = raw.get("p")
        return ButtonValue(
            customer_id=int(raw["c"]),
            product_id=int(product) if product is not None else None,
            n=int(raw.get("n", 5)),
            new_only=bool(raw.get("new", False)),
        )
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def user_id(body: dict) -> str:
    return str((body.get("user") or {}).get("id", ""))
