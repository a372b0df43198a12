"""`recbot serve`: the Slack app, over Socket Mode (SLACK_APP_TOKEN set) or HTTP on PORT."""

from __future__ import annotations

import os
import sys

import click

from bot.settings import SlackSettings


@click.command("serve")
def serve() -> None:
    """Answer /recommend in Slack (Socket Mode with SLACK_APP_TOKEN, else HTTP on PORT).

    The server replaces this process (`python -m bot.server`) so it carries none of the other
    commands' imports; TensorFlow in particular is never loaded by the Slack app.
    """
    SlackSettings.from_env().check_for_serve()  # the common mistakes, as one line, right away
    sys.stdout.flush()
    os.execv(sys.executable, [sys.executable, "-m", "bot.server"])


def register(cli: click.Group) -> None:
    cli.add_command(serve)
