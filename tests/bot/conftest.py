"""Fixtures for the Slack side: filled database, Deps, the Slack stand-in, the real HTTP app."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from sqlalchemy import Engine

from bot.deps import Deps
from bot.settings import SlackSettings
from db.customer_search import CustomerNames
from tests.bot import fixtures
from tests.slack_standin import BOT_TOKEN, SlackStandIn

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.fixture
def filled(engine: Engine) -> Engine:
    fixtures.fill(engine)
    return engine


def make_settings(api_url: str = "http://127.0.0.1:9/api/", **changes) -> SlackSettings:
    base = SlackSettings(
        bot_token=BOT_TOKEN,
        signing_secret=SECRET,
        app_token="",
        api_url=api_url,
        admin_user_ids=frozenset({fixtures.ADMIN}),
    )
    return dataclasses.replace(base, **changes)


def make_deps(engine: Engine, **changes) -> Deps:
    return Deps(
        engine,
        make_settings(**changes),
        CustomerNames(),
        now=lambda: fixtures.NOW,
        live_ttl_s=0,
    )


@pytest.fixture
def deps(filled: Engine) -> Deps:
    return make_deps(filled)


@pytest.fixture
def restricted(filled: Engine) -> Deps:
    return make_deps(filled, restrict_to_assigned=True)


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn() as slack:
        yield slack


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *_args: object) -> None:
        pass


@dataclasses.dataclass
class LiveServer:
    url: str
    standin: SlackStandIn
    deps: Deps


def start_server(deps: Deps, standin: SlackStandIn):
    """The real WSGI app (Bolt handler + /healthz) on 127.0.0.1, in a thread."""
    from bot.app import build_app
    from bot.web import make_wsgi

    settings = dataclasses.replace(deps.settings, api_url=standin.api_url)
    deps = dataclasses.replace(deps, settings=settings)
    app = build_app(settings, deps)
    server = make_server(
        "127.0.0.1",
        0,
        make_wsgi(app, deps.engine, deps.settings.signing_secret),
        server_class=_ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server, LiveServer(f"http://127.0.0.1:{server.server_port}", standin, deps)


@pytest.fixture
def live(deps: Deps, standin: SlackStandIn) -> Iterator[LiveServer]:
    server, info = start_server(deps, standin)
    yield info
    server.shutdown()
    server.server_close()
