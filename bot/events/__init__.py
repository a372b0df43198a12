"""Events API subscriptions."""

from slack_bolt import App

from bot.events.app_home import app_home_opened


def register(app: App) -> None:
    app.event("app_home_opened")(app_home_opened)
