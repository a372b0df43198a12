"""👍 / 👎 on a product (a 👎 hides it for that customer), and the admin's "Unhide".

Answers carry them in a ⋯ menu beside each product (pick_feedback); the two buttons of answers
sent before the menu existed still work (vote_up, vote_down)."""

from __future__ import annotations

from slack_bolt import BoltContext, Respond

from bot.actions.values import button_value, user_id
from bot.answers import unhide_reply, vote_reply


def _vote(body: dict, respond: Respond, context: BoltContext, vote: int | None = None) -> None:
    value = button_value(body)
    vote = vote if vote is not None else value.vote if value is not None else None
    if value is None or value.product_id is None or vote is None:
        return
    reply = vote_reply(
        context["deps"],
        user_id(body),
        value.customer_id,
        value.product_id,
        vote,
        value.n,
        value.new_only,
    )
    respond(replace_original=True, **reply.payload())


def pick_feedback(body: dict, respond: Respond, context: BoltContext) -> None:
    """The ⋯ menu's choice: its option's value carries the vote."""
    _vote(body, respond, context)


def vote_up(body: dict, respond: Respond, context: BoltContext) -> None:
    _vote(body, respond, context, +1)


def vote_down(body: dict, respond: Respond, context: BoltContext) -> None:
    _vote(body, respond, context, -1)


def unhide_product(body: dict, respond: Respond, context: BoltContext) -> None:
    value = button_value(body)
    if value is None or value.product_id is None:
        return
    reply = unhide_reply(context["deps"], user_id(body), value.customer_id, value.product_id)
    respond(replace_original=True, **reply.payload())
