"""The database goes away and comes back: polite replies meanwhile, answers resume by themselves,
the process stays up. On PostgreSQL the connection really breaks (a TCP proxy is cut)."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from bot import blocks
from bot.answers import command_reply, home_view
from bot.server import serving_engine
from bot.web import health
from tests.bot import fixtures
from tests.bot.conftest import SECRET, make_deps, start_server
from tests.bot.doubles import all_text
from tests.bot.signing import get, signed_command
from tests.bot.tcp_proxy import TcpProxy
from tests.slack_standin import SlackStandIn

CLOSED_PORT_URL = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"


def test_unreachable_database_gives_the_polite_reply() -> None:
    engine = serving_engine(CLOSED_PORT_URL, pool_size=1)
    deps = make_deps(engine)
    reply = command_reply(deps, fixtures.REP_A, "acme bistro")
    assert reply.text == blocks.UNAVAILABLE
    assert "temporarily unavailable, try again in a minute" in reply.text
    assert blocks.UNAVAILABLE in all_text(home_view(deps, fixtures.REP_A)["blocks"])
    assert health(engine)[0] == 503
    # help needs no database and still works
    assert "How to use" in command_reply(deps, fixtures.REP_A, "help").text


@pytest.fixture
def blinking(filled: Engine, tmp_path: Path) -> Iterator[tuple[Engine, Callable, Callable]]:
    """A serving engine on the test database, and break()/restore() for its connection."""
    url = filled.url
    if url.get_backend_name() == "sqlite":
        path = Path(url.database)
        aside = tmp_path / "aside.db"
        engine = serving_engine(url.render_as_string(hide_password=False), pool_size=2)

        def cut() -> None:  # no server to stop: the file vanishes, a directory takes its place
            engine.dispose()
            path.rename(aside)
            path.mkdir()

        def restore() -> None:
            path.rmdir()
            aside.rename(path)

        yield engine, cut, restore
        engine.dispose()
        return
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()
    proxied = make_url(url).set(host="127.0.0.1", port=proxy.port)
    engine = serving_engine(proxied.render_as_string(hide_password=False), pool_size=2)
    yield engine, proxy.stop, proxy.start
    proxy.stop()
    engine.dispose()


def test_outage_and_recovery_through_the_http_endpoint(blinking, standin: SlackStandIn) -> None:
    engine, cut, restore = blinking
    server, live = start_server(make_deps(engine), standin)
    try:

        def ask() -> dict:
            status, reply = signed_command(
                live.url, SECRET, "acme bistro", fixtures.REP_A, standin.response_url()
            )
            assert status == 200
            return reply

        assert ask()["blocks"][0]["text"]["text"] == "Acme Bistro"
        cut()
        for _ in range(3):
            down = ask()
            assert down["text"] == blocks.UNAVAILABLE and down["response_type"] == "ephemeral"
        status, body = get(f"{live.url}/healthz")
        assert status == 503 and json.loads(body) == {"ok": False}
        restore()
        assert ask()["blocks"][0]["text"]["text"] == "Acme Bistro"
        deadline = time.monotonic() + 10  # /healthz reuses its answer for a couple of seconds
        while get(f"{live.url}/healthz")[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert get(f"{live.url}/healthz")[0] == 200
    finally:
        server.shutdown()
        server.server_close()


def test_deps_survive_lazy_listener_copies(deps) -> None:
    import copy

    assert copy.deepcopy({"deps": deps})["deps"] is deps
    assert dataclasses.replace(deps).engine is deps.engine


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (CI always sets it)"
)
def test_statement_timeout_is_set_on_postgres(postgres_engine: Engine) -> None:
    url = postgres_engine.url.render_as_string(hide_password=False)
    engine = serving_engine(url, pool_size=1)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "2500ms"
    engine.dispose()
