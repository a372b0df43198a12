"""The one WebClient factory: Slack's base URL from settings, slack_sdk's retry handlers.

Retrying is safe for reads and idempotent writes (auth.test, users.lookupByEmail,
conversations.open, views.publish). It is not for chat.postMessage: after a dropped connection or
a 5xx, Slack may have stored the message and only the response was lost, and a resend is a
second message. `for_posting` gives a client that retries only what Slack refused outright
(429); the digest retries the rest itself, after checking the DM for the message.
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler


def make_client(token: str, base_url: str, timeout: int = 10, retries: int = 2) -> WebClient:
    """A client that retries dropped connections, HTTP 429 (after Retry-After) and 5xx."""
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=retries),
            RateLimitErrorRetryHandler(max_retry_count=retries),
            ServerErrorRetryHandler(max_retry_count=retries),
        ],
    )


def retries_of(client: WebClient) -> int:
    """How many times `client` retries a 5xx (what a caller's own retry loop should match)."""
    counts = [
        h.max_retry_count for h in client.retry_handlers if isinstance(h, ServerErrorRetryHandler)
    ]
    return max(counts, default=0)


def for_posting(client: WebClient) -> WebClient:
    """The same client, retrying only HTTP 429: a rate-limited request was not processed."""
    limits: list[RetryHandler] = [
        h for h in client.retry_handlers if isinstance(h, RateLimitErrorRetryHandler)
    ]
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        retry_handlers=limits,
    )


def may_have_arrived(exc: BaseException) -> bool:
    """Whether a failed call may still have been processed by Slack (5xx, a cut connection)."""
    if isinstance(exc, SlackApiError):
        return exc.response.status_code >= 500
    return isinstance(exc, SlackClientError | OSError)
