"""Wiring only: the Bolt App with our WebClient, the dependencies, and each listener group."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import App, BoltContext
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot import actions, commands, events
from bot.deps import Deps
from bot.settings import SlackSettings
from bot.slack_client import make_client
from core.errors import RecbotError

log = logging.getLogger(__name__)


def build_app(settings: SlackSettings, deps: Deps) -> App:
    """The Bolt app; start-up's auth.test goes to SLACK_API_URL and a failure is one clear line."""
    settings.check_for_serve()
    client = make_client(settings.bot_token, settings.api_url)
    verify_token(client, settings.api_url)
    try:
        app = App(
            client=client,
            signing_secret=settings.signing_secret or "unused-in-socket-mode",
            # Listeners answer inside ack(); running them before the HTTP response avoids
            # Bolt's polling hand-off between threads. Slow follow-ups use lazy listeners.
            process_before_response=True,
            request_verification_enabled=not settings.socket_mode,
        )
    except (BoltError, SlackClientError, OSError) as exc:  # the token changed in between
        raise RecbotError(f"Slack start-up failed: {type(exc).__name__}") from None

    def inject_deps(context: BoltContext, next: Callable[[], None]) -> None:
        context["deps"] = deps
        next()

    app.use(inject_deps)
    for group in (commands, actions, events):
        group.register(app)
    return app


def verify_token(client: WebClient, api_url: str) -> None:
    """auth.test, reporting a refused token or an unreachable API as one line."""
    try:
        client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        raise RecbotError(
            f"SLACK_BOT_TOKEN was refused by {api_url}auth.test: "
            f"{error or exc.response.status_code}"
        ) from None
    except (SlackClientError, OSError) as exc:
        what = type(exc).__name__
        raise RecbotError(f"SLACK_API_URL {api_url} is unreachable ({what})") from None
