"""Slash commands."""

from slack_bolt import App

from bot.commands.recommend import recommend


def register(app: App) -> None:
    app.command("/recommend")(recommend)
