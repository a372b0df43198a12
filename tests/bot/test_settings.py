"""Slack settings from the environment."""

from __future__ import annotations

import pytest

from bot.settings import DEFAULT_SLACK_API_URL, SLACK_VARS, SlackSettings
from core.errors import RecbotError


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path) -> pytest.MonkeyPatch:
    monkeypatch.chdir(tmp_path)
    for key in SLACK_VARS:
        monkeypatch.delenv(key, raising=False)
    return monkeypatch


def test_defaults() -> None:
    s = SlackSettings.from_env()
    assert (s.api_url, s.port, s.restrict_to_assigned, s.admin_user_ids, s.socket_mode) == (
        DEFAULT_SLACK_API_URL,
        3000,
        False,
        frozenset(),
        False,
    )


def test_values_are_parsed(clean: pytest.MonkeyPatch) -> None:
    for key, val in {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_APP_TOKEN": "xapp-1",
        "SLACK_API_URL": "http://127.0.0.1:9/api",
        "PORT": "8080",
        "RESTRICT_TO_ASSIGNED": "TRUE",
        "ADMIN_USER_IDS": "U1AB, W2CD",
        "WEB_CONCURRENCY": "3",
        "WEB_THREADS": "8",
    }.items():
        clean.setenv(key, val)
    s = SlackSettings.from_env()
    assert s.api_url == "http://127.0.0.1:9/api/" and s.port == 8080 and s.socket_mode
    assert s.restrict_to_assigned and s.admin_user_ids == {"U1AB", "W2CD"}
    assert (s.web_workers, s.web_threads) == (3, 8)
    s.check_for_serve()  # Socket Mode needs no signing secret


def test_secrets_never_in_repr(clean: pytest.MonkeyPatch) -> None:
    clean.setenv("SLACK_BOT_TOKEN", "xoxb-supersecret")
    clean.setenv("SLACK_SIGNING_SECRET", "sigsecret")
    clean.setenv("SLACK_APP_TOKEN", "xapp-appsecret")
    text = repr(SlackSettings.from_env())
    assert "supersecret" not in text and "sigsecret" not in text and "appsecret" not in text


@pytest.mark.parametrize(
    ("key", "val"),
    [("PORT", "0"), ("PORT", "70000"), ("WEB_THREADS", "-1"), ("SLACK_API_URL", "slack.com")],
)
def test_invalid_values_name_the_variable(clean: pytest.MonkeyPatch, key: str, val: str) -> None:
    clean.setenv(key, val)
    with pytest.raises(RecbotError, match=key):
        SlackSettings.from_env()
