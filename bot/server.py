"""Running the app: gunicorn (HTTP) or Socket Mode, over a database engine made for serving.

`recbot serve` execs `python -m bot.server`, so the serving process imports only bot/ and db/
serving code: never TensorFlow (model/), pandas or the other CLI commands' dependencies.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from gunicorn.app.base import BaseApplication
from slack_bolt import App
from sqlalchemy import Engine

from bot.settings import SlackSettings
from bot.web import WsgiApp, make_wsgi
from core.errors import RecbotError
from db.migrate import ensure_schema
from db.session import make_engine, safe_url
from db.settings import Settings

log = logging.getLogger(__name__)


def serving_engine(url: str, pool_size: int) -> Engine:
    """An engine that fails fast: a request must be answered inside Slack's 3 seconds.

    pool_pre_ping (set by make_engine for PostgreSQL) replaces connections that died while the
    database was away, so answers resume by themselves when it returns.
    """
    # Autocommit: each read is one round trip, with no BEGIN/ROLLBACK around it. The one write
    # (feedback) is a single statement, or an update then an insert that tolerates a race.
    kwargs: dict = {
        "pool_size": pool_size,
        "max_overflow": 2,
        "pool_timeout": 2,
        "isolation_level": "AUTOCOMMIT",
    }
    if url.startswith("postgresql"):
        kwargs["connect_args"] = {"connect_timeout": 2, "options": "-c statement_timeout=2500"}
    return make_engine(url, **kwargs)


class Gunicorn(BaseApplication):
    """gunicorn with our options and an app built before forking (so start-up errors are one
    line from the master); each worker gets fresh database connections after the fork."""

    def __init__(self, wsgi: WsgiApp, options: dict, after_fork: Callable[[], None]) -> None:
        self.wsgi_app, self.options, self.after_fork = wsgi, options, after_fork
        super().__init__()

    def load_config(self) -> None:
        for key, val in self.options.items():
            self.cfg.set(key, val)
        self.cfg.set("post_fork", lambda _server, _worker: self.after_fork())

    def load(self) -> WsgiApp:
        return self.wsgi_app


def gunicorn_options(port: int, workers: int, threads: int, host: str = "0.0.0.0") -> dict:
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "timeout": 30,
        "graceful_timeout": 10,
        "keepalive": 5,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "recbot-serve",
    }


def run_http(wsgi: WsgiApp, engine: Engine, port: int, workers: int, threads: int) -> None:
    Gunicorn(
        wsgi,
        gunicorn_options(port, workers, threads),
        after_fork=lambda: engine.dispose(close=False),
    ).run()


def run_socket_mode(app: App, app_token: str) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    SocketModeHandler(app, app_token).start()


def serve() -> None:
    """Build everything once in this process, then serve (HTTP forks the workers after this)."""
    from bot.app import build_app

    settings, slack = Settings.from_env(), SlackSettings.from_env()
    slack.check_for_serve()
    engine = serving_engine(settings.database_url, pool_size=slack.web_threads)
    ensure_schema(engine, auto_upgrade=settings.database_url_is_default)
    from bot.deps import Deps
    from bot.exposure_log import ExposureLog
    from bot.jobs.service import start_beside_server
    from bot.jobs.status import next_retrain
    from db.settings import OutcomeSettings

    logged = ExposureLog(engine) if OutcomeSettings.from_env().log_exposures else None
    app = build_app(slack, Deps(engine, slack, next_retrain=next_retrain, exposures=logged))
    engine.dispose()  # no connection crosses the fork into the workers
    start_beside_server()  # the scheduler: one child process per `recbot serve`
    if slack.socket_mode:
        log.info("Socket Mode via %s, database %s", slack.api_url, safe_url(engine))
        run_socket_mode(app, slack.app_token)
        return
    log.info(
        "HTTP on port %s (/slack/events, /healthz), %s workers x %s threads, database %s",
        slack.port,
        slack.web_workers,
        slack.web_threads,
        safe_url(engine),
    )
    wsgi = make_wsgi(app, engine, slack.signing_secret)
    run_http(wsgi, engine, slack.port, slack.web_workers, slack.web_threads)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        serve()
    except RecbotError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
