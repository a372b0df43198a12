"""One place that makes engines and sessions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from core.errors import RecbotError


def make_engine(url: str | URL, what: str = "DATABASE_URL", **kwargs: Any) -> Engine:
    """Engine for `url`; SQLite gets foreign keys, WAL and a busy timeout.

    A malformed URL or a missing driver is one RecbotError line naming `what` (the setting or
    the source the URL comes from), never with the password.
    """
    try:
        parsed = make_url(url)
        _ = parsed.port  # a non-numeric port fails here, not at the first connection
    except (ArgumentError, ValueError):
        raise RecbotError(
            f"{what} is not a valid database URL: {redact(str(url))!r} "
            "(expected e.g. postgresql://user:password@host:5432/dbname)"
        ) from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    shown = parsed.render_as_string(hide_password=True)
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(parsed, connect_args={"timeout": 30}, **kwargs)
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(parsed, pool_pre_ping=True, **kwargs)
    except (NoSuchModuleError, ArgumentError) as exc:
        raise RecbotError(f"unsupported {what} {shown}: {exc}") from None
    except ImportError as exc:
        raise RecbotError(
            f"{what} {shown} needs the Python driver {exc.name or 'for that database'!r}, "
            "which is not installed (pip install it into recbot's environment; PostgreSQL uses "
            "psycopg, MySQL/MariaDB pymysql: mysql+pymysql://…)"
        ) from None


def redact(url: str) -> str:
    """The URL text with its password hidden, even when the URL does not parse."""
    head, at, tail = url.rpartition("@")
    if not at:
        return url
    start = head.find("//")
    cut = head.find(":", start + 2 if start != -1 else 0)
    return url if cut == -1 else f"{head[: cut + 1]}***@{tail}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def safe_url(engine_or_url: Engine | str) -> str:
    """The URL with any password hidden, for messages and logs."""
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.render_as_string(hide_password=True)
