"""manifest.yml creates an app with what the code listens to."""

from __future__ import annotations

from pathlib import Path

import yaml

MANIFEST = yaml.safe_load((Path(__file__).resolve().parents[2] / "manifest.yml").read_text())


def test_slash_command_with_usage_hint() -> None:
    [command] = MANIFEST["features"]["slash_commands"]
    assert command["command"] == "/recommend"
    assert "<customer" in command["usage_hint"] and "status" in command["usage_hint"]


def test_scopes_events_interactivity_socket_mode_and_home() -> None:
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "im:write", "users:read", "users:read.email"} <= scopes
    settings = MANIFEST["settings"]
    assert settings["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
