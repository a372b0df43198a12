"""`/recommend`: the whole answer goes back in the acknowledgement (a keyed read, well < 3 s)."""

from __future__ import annotations

from slack_bolt import Ack, BoltContext

from bot.answers import command_reply


def recommend(ack: Ack, command: dict, context: BoltContext) -> None:
    reply = command_reply(context["deps"], command.get("user_id", ""), command.get("text"))
    ack(response_type="ephemeral", **reply.payload())
