"""`/recommend`: the whole answer goes back in the acknowledgement (a keyed read, well < 3 s)."""

from __future__ import annotations

from slack_bolt import Ack, BoltContext

from bot.answers import command_reply, digest_command, with_job_status


def recommend(ack: Ack, command: dict, context: BoltContext) -> None:
    deps, user, text = context["deps"], command.get("user_id", ""), command.get("text")
    reply = digest_command(deps, user, text) or with_job_status(
        command_reply(deps, user, text), deps, text
    )
    ack(response_type="ephemeral", **reply.payload())
