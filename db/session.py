"""One place that makes engines and sessions."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from core.errors import RecbotError


def make_engine(url: str, **kwargs) -> Engine:
    """Engine for `url`; SQLite gets foreign keys, WAL and a busy timeout."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise RecbotError(f"DATABASE_URL is not a valid database URL: {url!r}") from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(parsed, connect_args={"timeout": 30}, **kwargs)
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(parsed, pool_pre_ping=True, **kwargs)
    except (NoSuchModuleError, ArgumentError) as exc:
        raise RecbotError(f"unsupported DATABASE_URL {parsed.render_as_string()}: {exc}") from None


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
