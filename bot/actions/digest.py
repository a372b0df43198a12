"""The weekly digest DM's Open button."""

from __future__ import annotations

from slack_bolt import BoltContext, Respond

from bot.actions.values import button_value, user_id
from bot.answers import picked_reply


def open_from_digest(body: dict, respond: Respond, context: BoltContext) -> None:
    """The full answer as a new message, the digest left in place (access is checked again)."""
    value = button_value(body)
    if value is None:
        return
    reply = picked_reply(context["deps"], user_id(body), value.customer_id, value.n, False)
    respond(replace_original=False, **reply.payload())
