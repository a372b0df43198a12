"""Requests signed exactly as Slack signs them, posted to the real HTTP endpoint."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier


def signed_headers(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


def command_body(text: str, user_id: str, response_url: str, command: str = "/recommend") -> bytes:
    return urlencode(
        {
            "token": "legacy",
            "team_id": "T0STANDIN",
            "team_domain": "standin",
            "channel_id": "C0SALES",
            "channel_name": "sales",
            "user_id": user_id,
            "user_name": "rep",
            "command": command,
            "text": text,
            "api_app_id": "A0RECBOT",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    ).encode()


def action_body(
    action_id: str, value: str, user_id: str, response_url: str, menu: bool = False
) -> bytes:
    """A block_actions payload: a button click, or (menu) an option chosen in a ⋯ menu."""
    if menu:
        action = {
            "type": "overflow",
            "action_id": action_id,
            "block_id": "b",
            "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": value},
            "action_ts": "1",
        }
    else:
        action = {
            "type": "button",
            "action_id": action_id,
            "block_id": "b",
            "value": value,
            "action_ts": "1",
        }
    payload = {
        "type": "block_actions",
        "team": {"id": "T0STANDIN"},
        "user": {"id": user_id},
        "api_app_id": "A0RECBOT",
        "token": "legacy",
        "trigger_id": "1.2.3",
        "container": {"type": "message", "is_ephemeral": True},
        "channel": {"id": "C0SALES"},
        "response_url": response_url,
        "actions": [action],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def event_body(event: dict) -> bytes:
    return json.dumps(
        {
            "token": "legacy",
            "team_id": "T0STANDIN",
            "api_app_id": "A0RECBOT",
            "type": "event_callback",
            "event_id": "Ev1",
            "event_time": int(time.time()),
            "event": event,
        }
    ).encode()


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    content_type: str = "application/x-www-form-urlencoded",
) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": content_type, **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def signed_command(
    base_url: str, secret: str, text: str, user_id: str, response_url: str
) -> tuple[int, dict]:
    body = command_body(text, user_id, response_url)
    status, data = post(f"{base_url}/slack/events", body, signed_headers(secret, body))
    return status, json.loads(data) if data else {}
