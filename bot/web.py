"""The WSGI application: Bolt's handler at /slack/events, and /healthz.

Before Bolt sees a request, this layer refuses what Slack never sends: a body over MAX_BODY
(413, nothing read) and a request without a valid signature (401). Either is logged as one short
line with no part of the body (Bolt's own log line for a bad signature carries the whole body).
Bolt verifies the signature again; the check here costs one HMAC.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine

from bot.answers import DB_FAULTS
from db import queries

log = logging.getLogger(__name__)
WsgiApp = Callable[[dict, Callable], Iterable[bytes]]
# Slack's largest payloads (a view submission with its state) stay far below this.
MAX_BODY = 1024 * 1024
HEALTH_TTL_S = 2.0


class Health:
    """/healthz: 200 when the database answers, 503 when not; nothing else is disclosed.

    The answer is reused for HEALTH_TTL_S, so a flood of probes costs at most one `SELECT 1`
    per process every two seconds on the pool that serves Slack.
    """

    def __init__(self, engine: Engine, ttl_s: float = HEALTH_TTL_S) -> None:
        self.engine, self.ttl_s = engine, ttl_s
        self._lock = threading.Lock()
        self._checked_at, self._ok = float("-inf"), False

    def __call__(self) -> tuple[int, dict]:
        with self._lock:
            if time.monotonic() - self._checked_at >= self.ttl_s:
                self._ok = self._database_answers()
                self._checked_at = time.monotonic()
            ok = self._ok
        return (200, {"ok": True}) if ok else (503, {"ok": False})

    def _database_answers(self) -> bool:
        try:
            with self.engine.connect() as conn:
                queries.ping(conn)
        except DB_FAULTS as exc:
            log.warning("health check: database unreachable (%s)", type(exc).__name__)
            return False
        return True


def health(engine: Engine) -> tuple[int, dict]:
    """One uncached health check (for tools and tests)."""
    return Health(engine, ttl_s=0)()


def make_wsgi(
    app: App, engine: Engine, signing_secret: str, path: str = "/slack/events"
) -> WsgiApp:
    slack = SlackRequestHandler(app, path=path)
    verifier = SignatureVerifier(signing_secret)
    check_health = Health(engine)

    def wsgi(environ: dict, start_response: Callable) -> Iterable[bytes]:
        method, where = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
        if where == "/healthz" and method in ("GET", "HEAD"):
            return _json(start_response, *check_health())
        if where == path and method == "POST":
            refused = _refuse_unless_signed(environ, verifier)
            if refused is not None:
                return _json(start_response, *refused)
        return slack(environ, start_response)

    return wsgi


def _refuse_unless_signed(environ: dict, verifier: SignatureVerifier) -> tuple[int, dict] | None:
    """(status, body) to answer instead of Bolt, or None to pass the request on (its body
    re-wrapped, since it was read here)."""
    try:
        declared = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = -1
    if declared < 0 or declared > MAX_BODY:
        log.warning("refused a request to %s: body of %s bytes", environ["PATH_INFO"], declared)
        return 413, {"error": "request too large"}
    body = environ["wsgi.input"].read(declared) if declared else b""
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
    signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
    if not (timestamp.isdigit() and verifier.is_valid(body, timestamp, signature)):
        log.warning("refused an unsigned or stale request to %s", environ["PATH_INFO"])
        return 401, {"error": "invalid request"}
    environ["wsgi.input"] = io.BytesIO(body)
    return None


def _json(start_response: Callable, status: int, body: dict) -> list[bytes]:
    data = json.dumps(body).encode()
    reason = {200: "OK", 401: "Unauthorized", 413: "Payload Too Large"}
    start_response(
        f"{status} {reason.get(status, 'Service Unavailable')}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]
