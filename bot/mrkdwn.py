"""Making any text (user input, names from the database) inert inside Slack mrkdwn."""

from __future__ import annotations

import re

_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")


def escape(value: object, limit: int | None = None) -> str:
    """Escape & < > as Slack asks, so `<!channel>` or `<@U123>` can never become a mention.

    A bare @channel/@here is broken with a word joiner too, in case a client links names.
    """
    text = str(value)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@\u2060\\1", text) if "@" in text else text


def plain(value: object, limit: int = 150) -> str:
    """Text for plain_text fields (headers, button labels), which have hard length limits.

    Angle brackets become look-alikes so no Slack client can ever read a mention into it.
    """
    text = " ".join(str(value).split()).replace("<", "‹").replace(">", "›")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mention(user_id: str) -> str:
    """A user mention, only for ids Slack gave us; anything else is escaped as text."""
    return f"<@{user_id}>" if _USER_ID.fullmatch(user_id or "") else escape(user_id)


def mrkdwn(text: str) -> dict:
    """A mrkdwn text object. `verbatim` keeps Slack from turning URLs, #channels and @names in
    imported text into links; our own *bold* and line breaks still render."""
    return {"type": "mrkdwn", "text": text[:3000], "verbatim": True}
