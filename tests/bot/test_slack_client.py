"""The WebClient factory retries what Slack asks to be retried; the stand-in injects the faults."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

from bot.slack_client import for_posting, make_client
from tests.slack_standin import BOT_TOKEN, SlackStandIn


@pytest.mark.parametrize("kind", ["429", "500", "drop"])
def test_a_fault_is_retried_and_then_succeeds(standin: SlackStandIn, kind: str) -> None:
    client = make_client(BOT_TOKEN, standin.api_url, timeout=5)
    standin.fail("chat.postMessage", kind, times=1, retry_after=1)
    response = client.chat_postMessage(channel="C0SALES", text="hello")
    assert response["ok"] is True
    calls = standin.calls_to("chat.postMessage")
    assert len(calls) == 2
    assert calls[1].params["channel"] == "C0SALES" and calls[1].token == BOT_TOKEN


def test_retries_are_bounded(standin: SlackStandIn) -> None:
    client = make_client(BOT_TOKEN, standin.api_url, timeout=5, retries=1)
    standin.fail("views.publish", "500", times=5)
    with pytest.raises(SlackApiError):
        client.views_publish(user_id="U1", view={"type": "home", "blocks": []})
    assert len(standin.calls_to("views.publish")) == 2


def test_stand_in_serves_lookups_and_dm_channels(standin: SlackStandIn) -> None:
    client = make_client(BOT_TOKEN, standin.api_url)
    standin.users_by_email["rep@example.com"] = "U0REP"
    assert client.users_lookupByEmail(email="rep@example.com")["user"]["id"] == "U0REP"
    with pytest.raises(SlackApiError):
        client.users_lookupByEmail(email="nobody@example.com")
    assert client.conversations_open(users="U0REP")["channel"]["id"] == "D0REP"
    assert [c.method for c in standin.calls] == [
        "users.lookupByEmail",
        "users.lookupByEmail",
        "conversations.open",
    ]


@pytest.mark.parametrize("kind", ["500", "drop", "stored-drop", "stored-500"])
def test_posting_client_never_resends_what_slack_may_have_stored(
    standin: SlackStandIn, kind: str
) -> None:
    client = for_posting(make_client(BOT_TOKEN, standin.api_url, timeout=5))
    standin.fail("chat.postMessage", kind, times=1)
    with pytest.raises(Exception):  # noqa: B017 (SlackApiError or a connection error)
        client.chat_postMessage(channel="C0SALES", text="hello")
    assert len(standin.calls_to("chat.postMessage")) == 1


def test_posting_client_retries_a_rate_limit(standin: SlackStandIn) -> None:
    client = for_posting(make_client(BOT_TOKEN, standin.api_url, timeout=5))
    standin.fail("chat.postMessage", "429", times=1, retry_after=1)
    assert client.chat_postMessage(channel="C0SALES", text="hello")["ok"] is True
    assert [c.status for c in standin.calls_to("chat.postMessage")] == [429, 200]
