"""The WSGI application: Bolt's handler at /slack/events, and /healthz."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine

from bot.answers import DB_FAULTS
from db import queries, serving

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


def health(engine: Engine) -> tuple[int, dict]:
    """200 with the live model when the database answers, 503 when it does not."""
    try:
        with engine.connect() as conn:
            queries.ping(conn)
            model = serving.live_model(conn)
    except DB_FAULTS as exc:
        return 503, {"ok": False, "database": "unreachable", "error": type(exc).__name__}
    live = (
        None
        if model is None
        else {
            "id": model.id,
            "arch": model.arch,
            "trained_at": model.trained_at.isoformat() if model.trained_at else None,
        }
    )
    return 200, {"ok": True, "database": "ok", "live_model": live}


def make_wsgi(app: App, engine: Engine, path: str = "/slack/events") -> WsgiApp:
    slack = SlackRequestHandler(app, path=path)

    def wsgi(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in (
            "GET",
            "HEAD",
        ):
            status, body = health(engine)
            data = json.dumps(body).encode()
            start_response(
                f"{status} {'OK' if status == 200 else 'Service Unavailable'}",
                [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
            )
            return [data]
        return slack(environ, start_response)

    return wsgi
