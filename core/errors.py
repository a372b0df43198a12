"""Errors a user can fix; the CLI prints them as one line."""


class RecbotError(Exception):
    """A problem with the user's input or environment, reported without a traceback."""
