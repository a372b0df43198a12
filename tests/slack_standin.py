"""A local stand-in for Slack's Web API and for response_url, on 127.0.0.1, for tests and benches.

Every call is recorded (method, query/form/JSON params, headers). Faults can be injected per
method: HTTP 429 with Retry-After, HTTP 500, or a dropped connection, each for the next N calls;
and the faults where Slack did the work but the answer is lost: "stored-drop" (processed, e.g.
the message is stored and shows in conversations.history, then the connection is cut) and
"stored-500" (processed, then HTTP 500).

    with SlackStandIn() as slack:
        env = {"SLACK_API_URL": slack.api_url}
        slack.fail("chat.postMessage", "429", times=1, retry_after=1)
        ...
        slack.calls_to("chat.postMessage")[0].params["channel"]
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

BOT_TOKEN = "xoxb-test-token"
Responder = Callable[["Call"], dict]


@dataclass
class Call:
    method: str  # "auth.test", … or "response_url" for posts to a response URL
    path: str
    params: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.time)
    status: int = 0  # the HTTP status answered (0: connection dropped)
    processed: bool = False  # Slack did the work (also when the answer was then lost)

    @property
    def token(self) -> str | None:
        auth = self.headers.get("authorization", "")
        return auth[7:] if auth.lower().startswith("bearer ") else self.params.get("token")


@dataclass
class _Fault:
    kind: str  # "429" | "500" | "drop" | "stored-drop" | "stored-500"
    times: int
    retry_after: int


class SlackStandIn:
    def __init__(self, valid_tokens: set[str] | None = None) -> None:
        self.valid_tokens = valid_tokens  # None accepts any token
        self.calls: list[Call] = []
        self.users_by_email: dict[str, str] = {}
        self._faults: dict[str, _Fault] = {}
        self._responders: dict[str, Responder] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> SlackStandIn:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self, name: str = "1") -> str:
        return f"{self.base_url}/response/{name}"

    # -- control -------------------------------------------------------------------------------
    def fail(self, method: str, kind: str, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls of `method` get `kind` (see the module doc)."""
        assert kind in ("429", "500", "drop", "stored-drop", "stored-500")
        with self._lock:
            self._faults[method] = _Fault(kind, times, retry_after)

    def respond_with(self, method: str, responder: Responder) -> None:
        """Serve `method` with a custom function of the Call (returns the JSON body)."""
        self._responders[method] = responder

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def delivered(self, method: str) -> list[Call]:
        """Calls of `method` that Slack processed: answered 200, or processed and then the answer
        was lost ("stored-drop", "stored-500"). A 429, 500 or drop delivered nothing."""
        return [c for c in self.calls_to(method) if c.processed]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until `count` calls of `method` arrived (lazy listeners answer after the ack)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.calls_to(method)
            if len(found) >= count:
                return found
            time.sleep(0.01)
        raise AssertionError(f"expected {count} call(s) of {method}, got {self.calls_to(method)}")

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._faults.clear()

    # -- serving -------------------------------------------------------------------------------
    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            fault = self._faults.get(method)
            if fault is None or fault.times <= 0:
                return None
            fault.times -= 1
            return fault

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def _answer(self, call: Call) -> dict:
        if call.method in self._responders:
            return self._responders[call.method](call)
        if call.method == "response_url":
            return {"ok": True}
        if self.valid_tokens is not None and call.token not in self.valid_tokens:
            return {"ok": False, "error": "invalid_auth"}
        builtin = _BUILTIN.get(call.method)
        if builtin is None:
            return {"ok": False, "error": "unknown_method"}
        return builtin(self, call)


def _auth_test(_s: SlackStandIn, _c: Call) -> dict:
    return {
        "ok": True,
        "url": "https://standin.slack.test/",
        "team": "Stand-in",
        "user": "recbot",
        "team_id": "T0STANDIN",
        "user_id": "U0BOT",
        "bot_id": "B0BOT",
    }


def _post_message(_s: SlackStandIn, c: Call) -> dict:
    return {
        "ok": True,
        "channel": c.params.get("channel"),
        "ts": f"{time.time():.6f}",
        "message": {"text": c.params.get("text"), "blocks": c.params.get("blocks")},
    }


def _views_publish(_s: SlackStandIn, c: Call) -> dict:
    view = c.params.get("view")
    view = json.loads(view) if isinstance(view, str) else view
    return {"ok": True, "view": {"id": "V0HOME", **(view or {})}}


def _conversations_open(_s: SlackStandIn, c: Call) -> dict:
    users = str(c.params.get("users", ""))
    return {"ok": True, "channel": {"id": "D" + users.split(",")[0].lstrip("UW")}}


def _lookup_by_email(s: SlackStandIn, c: Call) -> dict:
    user = s.users_by_email.get(str(c.params.get("email", "")).lower())
    if user is None:
        return {"ok": False, "error": "users_not_found"}
    return {"ok": True, "user": {"id": user, "profile": {"email": c.params.get("email")}}}


def _conversations_history(s: SlackStandIn, c: Call) -> dict:
    """The messages delivered to the channel (newest first), with their metadata."""
    channel = c.params.get("channel")
    posted = [p for p in s.delivered("chat.postMessage") if p.params.get("channel") == channel]
    return {
        "ok": True,
        "has_more": False,
        "messages": [
            {
                "type": "message",
                "ts": f"{p.at:.6f}",
                "text": p.params.get("text"),
                "metadata": p.params.get("metadata"),
            }
            for p in reversed(posted)
        ],
    }


def _apps_connections_open(_s: SlackStandIn, _c: Call) -> dict:
    return {"ok": False, "error": "not_allowed_token_type"}


_BUILTIN: dict[str, Callable[[SlackStandIn, Call], dict]] = {
    "auth.test": _auth_test,
    "chat.postMessage": _post_message,
    "chat.postEphemeral": _post_message,
    "views.publish": _views_publish,
    "conversations.open": _conversations_open,
    "users.lookupByEmail": _lookup_by_email,
    "conversations.history": _conversations_history,
    "apps.connections.open": _apps_connections_open,
}


def _handler_for(standin: SlackStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: object) -> None:
            pass

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            if parts.path.startswith("/api/"):
                method = parts.path[len("/api/") :]
            elif parts.path.startswith("/response/"):
                method = "response_url"
            else:
                self._send(404, {"ok": False, "error": "not_found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            call = Call(
                method,
                parts.path,
                _params(parts.query, body, self.headers),
                {k.lower(): v for k, v in self.headers.items()},
            )
            standin._record(call)
            fault = standin._take_fault(method)
            kind = fault.kind if fault is not None else "200"
            if kind.startswith("stored-") or kind == "200":
                answer = standin._answer(call)
                call.processed = bool(answer.get("ok"))
                kind = kind.removeprefix("stored-")
            call.status = 0 if kind == "drop" else int(kind)
            if kind == "200":
                self._send(200, answer)
                return
            if kind == "drop":
                self.close_connection = True
                self.connection.close()
                return
            if kind == "429":
                self._send(
                    429,
                    {"ok": False, "error": "ratelimited"},
                    {"Retry-After": str(fault.retry_after)},
                )
                return
            self._send(500, {"ok": False, "error": "internal_error"})

        def _send(self, status: int, payload: dict, headers: dict | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for key, val in (headers or {}).items():
                self.send_header(key, val)
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _params(query: str, body: bytes, headers) -> dict[str, Any]:
    params: dict[str, Any] = dict(parse_qsl(query))
    ctype = (headers.get("Content-Type") or "").lower()
    if body and "json" in ctype:
        params.update(json.loads(body))
    elif body:
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return params
