"""A customer picked from the several-matches buttons, and "Share in channel"."""

from __future__ import annotations

from slack_bolt import BoltContext, Respond

from bot.actions.values import button_value, user_id
from bot.answers import picked_reply


def pick_customer(body: dict, respond: Respond, context: BoltContext) -> None:
    value = button_value(body)
    if value is None:
        return
    reply = picked_reply(context["deps"], user_id(body), value.customer_id, value.n, value.new_only)
    respond(replace_original=True, **reply.payload())


def share_answer(body: dict, respond: Respond, context: BoltContext) -> None:
    """Re-post the answer visibly (without vote buttons), leaving the private one in place."""
    value = button_value(body)
    if value is None:
        return
    reply = picked_reply(
        context["deps"],
        user_id(body),
        value.customer_id,
        value.n,
        value.new_only,
        interactive=False,
    )
    visibility = "in_channel" if reply.is_answer else "ephemeral"
    respond(response_type=visibility, replace_original=False, **reply.payload())
