"""Button clicks: ack at once, then do the work in a lazy listener and answer via response_url."""

from slack_bolt import Ack, App

from bot import blocks
from bot.actions.customers import pick_customer, share_answer
from bot.actions.digest import open_from_digest
from bot.actions.feedback import pick_feedback, unhide_product, vote_down, vote_up
from bot.jobs.digest_message import OPEN_ACTION


def ack_now(ack: Ack) -> None:
    ack()


def register(app: App) -> None:
    app.action(blocks.PICK_CUSTOMER)(ack=ack_now, lazy=[pick_customer])
    app.action(blocks.SHARE)(ack=ack_now, lazy=[share_answer])
    app.action(blocks.FEEDBACK)(ack=ack_now, lazy=[pick_feedback])
    app.action(blocks.VOTE_UP)(ack=ack_now, lazy=[vote_up])
    app.action(blocks.VOTE_DOWN)(ack=ack_now, lazy=[vote_down])
    app.action(blocks.UNHIDE)(ack=ack_now, lazy=[unhide_product])
    app.action(OPEN_ACTION)(ack=ack_now, lazy=[open_from_digest])
