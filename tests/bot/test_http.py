"""The real HTTP endpoint (Bolt's WSGI handler + /healthz) with Slack-signed requests, and the
Slack stand-in receiving every Web API and response_url call."""

from __future__ import annotations

import http.client
import json
import logging
import time

import pytest
from sqlalchemy import event

from bot import blocks
from tests.bot import fixtures
from tests.bot.conftest import SECRET, LiveServer
from tests.bot.doubles import all_text, section_titles
from tests.bot.signing import (
    action_body,
    command_body,
    event_body,
    get,
    post,
    signed_command,
    signed_headers,
)


def test_signed_recommend_returns_the_answer_in_one_round_trip(live: LiveServer) -> None:
    status, reply = signed_command(
        live.url, SECRET, "acme bistro", fixtures.REP_A, live.standin.response_url()
    )
    assert status == 200
    assert reply["response_type"] == "ephemeral"
    assert reply["blocks"][0]["text"]["text"] == "Acme Bistro"
    assert section_titles(reply["blocks"]) == ["*Likely to reorder*", "*New for this customer*"]
    # answered in the ack: nothing went to response_url or the Web API besides start-up
    assert live.standin.calls_to("response_url") == []
    assert [c.method for c in live.standin.calls] == ["auth.test", "auth.test"]


@pytest.mark.parametrize(
    "text",
    ["'; DROP TABLE customers; --", "ünïcødé ☃ \x00", "", "<!channel> <@U0VICTIM>", "acme " * 600],
)
def test_odd_text_over_http_is_answered_safely(live: LiveServer, text: str) -> None:
    status, reply = signed_command(
        live.url, SECRET, text, fixtures.REP_A, live.standin.response_url()
    )
    assert status == 200 and reply["response_type"] == "ephemeral" and reply["text"]
    rendered = json.dumps(reply)
    assert "<!channel>" not in rendered and "<@U0VICTIM>" not in rendered
    assert (
        signed_command(live.url, SECRET, "C001", fixtures.REP_A, live.standin.response_url())[1][
            "blocks"
        ][0]["text"]["text"]
        == "Acme Bistro"
    )


def test_start_up_auth_test_went_to_the_stand_in_with_the_token(live: LiveServer) -> None:
    call = live.standin.calls_to("auth.test")[0]
    assert call.token == live.deps.settings.bot_token


@pytest.mark.parametrize("case", ["missing", "wrong_secret", "stale", "future", "tampered"])
def test_bad_signatures_get_401_and_do_nothing(live: LiveServer, case: str) -> None:
    body = command_body("acme bistro", fixtures.REP_A, live.standin.response_url())
    headers = {
        "missing": {},
        "wrong_secret": signed_headers("not-the-secret", body),
        "stale": signed_headers(SECRET, body, timestamp=int(time.time()) - 6 * 60),
        "future": signed_headers(SECRET, body, timestamp=int(time.time()) + 6 * 60),
        "tampered": signed_headers(SECRET, body),
    }[case]
    if case == "tampered":
        body = body.replace(b"acme", b"acmf")
    before = len(live.standin.calls)
    status, data = post(f"{live.url}/slack/events", body, headers)
    assert status == 401
    assert b"Acme" not in data
    assert len(live.standin.calls) == before


def test_signature_just_inside_the_window_is_accepted(live: LiveServer) -> None:
    body = command_body("help", fixtures.REP_A, live.standin.response_url())
    status, _ = post(
        f"{live.url}/slack/events",
        body,
        signed_headers(SECRET, body, timestamp=int(time.time()) - 4 * 60),
    )
    assert status == 200


def test_share_button_posts_visibly_to_response_url(live: LiveServer) -> None:
    body = action_body(
        blocks.SHARE,
        blocks.value(c=1, n=5, new=False),
        fixtures.REP_A,
        live.standin.response_url("share"),
    )
    status, _ = post(f"{live.url}/slack/events", body, signed_headers(SECRET, body))
    assert status == 200
    [call] = live.standin.wait_for("response_url")
    assert call.path == "/response/share"
    assert call.params["response_type"] == "in_channel"
    assert call.params["replace_original"] is False
    assert "Likely to reorder" in all_text(call.params["blocks"])


def test_vote_down_via_http_hides_the_product(live: LiveServer) -> None:
    body = action_body(
        blocks.VOTE_DOWN,
        blocks.value(c=1, p=3, n=5, new=False),
        fixtures.REP_A,
        live.standin.response_url("vote"),
    )
    assert post(f"{live.url}/slack/events", body, signed_headers(SECRET, body))[0] == 200
    [call] = live.standin.wait_for("response_url")
    assert call.params["replace_original"] is True
    _, reply = signed_command(
        live.url, SECRET, "acme bistro", fixtures.REP_A, live.standin.response_url()
    )
    assert "Dairy item 03" not in all_text(reply["blocks"])
    assert "Dairy item 02" in all_text(reply["blocks"])


def test_feedback_menu_via_http_hides_the_product(live: LiveServer) -> None:
    _, answer = signed_command(
        live.url, SECRET, "acme bistro", fixtures.REP_A, live.standin.response_url()
    )
    [menu] = [
        b["accessory"]
        for b in answer["blocks"]
        if b.get("block_id") == "pick:3" and b["accessory"]["action_id"] == blocks.FEEDBACK
    ]
    [down] = [o["value"] for o in menu["options"] if o["text"]["text"].startswith("👎")]
    body = action_body(
        blocks.FEEDBACK, down, fixtures.REP_A, live.standin.response_url("menu"), menu=True
    )
    assert post(f"{live.url}/slack/events", body, signed_headers(SECRET, body))[0] == 200
    [call] = live.standin.wait_for("response_url")
    assert call.params["replace_original"] is True
    assert "👎 noted: hidden from now on: Dairy item 03" in all_text(call.params["blocks"])
    _, reply = signed_command(
        live.url, SECRET, "acme bistro", fixtures.REP_A, live.standin.response_url()
    )
    assert "Dairy item 03" not in all_text(reply["blocks"])


def test_app_home_opened_publishes_the_view(live: LiveServer) -> None:
    body = event_body(
        {
            "type": "app_home_opened",
            "user": fixtures.REP_A,
            "tab": "home",
            "channel": "D0HOME",
            "event_ts": "1",
        }
    )
    status, _ = post(
        f"{live.url}/slack/events",
        body,
        signed_headers(SECRET, body),
        content_type="application/json",
    )
    assert status == 200
    [call] = live.standin.wait_for("views.publish")
    assert call.params["user_id"] == fixtures.REP_A
    assert call.token == live.deps.settings.bot_token
    view = call.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["type"] == "home" and "Acme Bistro" in all_text(view["blocks"])


def test_healthz_says_ok_and_discloses_nothing_else(live: LiveServer) -> None:
    status, data = get(f"{live.url}/healthz")
    assert status == 200
    assert json.loads(data) == {"ok": True}


def test_other_paths_are_404(live: LiveServer) -> None:
    assert get(f"{live.url}/")[0] == 404
    assert post(f"{live.url}/other", b"x", {})[0] == 404


FORGED = b"text=hello\n2026-11-28 INFO forged log line\nuser_id=U0EVIL&marker=FORGED-BODY"


def test_unsigned_request_is_refused_with_one_short_log_line(live: LiveServer, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    status, _ = post(f"{live.url}/slack/events", FORGED, {"X-Slack-Signature": "v0=00"})
    assert status == 401
    logged = [r.getMessage() for r in caplog.records]
    assert not any("FORGED-BODY" in m or "forged log line" in m for m in logged)
    assert len([m for m in logged if "unsigned" in m or "signature" in m.lower()]) == 1
    assert all("\n" not in m for m in logged)


def test_a_body_over_the_limit_gets_413_before_anything_reads_it(live: LiveServer, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    host, port = live.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.putrequest("POST", "/slack/events")
    conn.putheader("Content-Type", "application/x-www-form-urlencoded")
    conn.putheader("Content-Length", str(5 * 1024 * 1024))
    conn.endheaders()  # the 5 MB never follow: the answer must not wait for them
    response = conn.getresponse()
    assert response.status == 413
    conn.close()
    logged = [r.getMessage() for r in caplog.records]
    assert sum("body of" in m for m in logged) == 1


def test_healthz_probes_reuse_one_database_check(live: LiveServer) -> None:
    pings: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if statement.strip().upper() == "SELECT 1":
            pings.append(statement)

    event.listen(live.deps.engine, "before_cursor_execute", count)
    try:
        for _ in range(20):
            assert get(f"{live.url}/healthz")[0] == 200
    finally:
        event.remove(live.deps.engine, "before_cursor_execute", count)
    assert len(pings) <= 1
