"""The App Home tab: the rep's accounts with their top picks."""

from __future__ import annotations

import logging

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.answers import home_view

log = logging.getLogger(__name__)


def app_home_opened(event: dict, client: WebClient, context: BoltContext) -> None:
    if event.get("tab", "home") != "home" or not event.get("user"):
        return
    view = home_view(context["deps"], event["user"])
    try:
        client.views_publish(user_id=event["user"], view=view)
    except SlackApiError as exc:
        log.warning("views.publish failed: %s", exc.response.get("error"))
