"""Reading a source database: connect, run one query, stream its rows in chunks.

Rows come through a server-side cursor (`stream_results`), so memory holds one chunk whatever
the result's size. Every failure — no driver, a bad URL, the server unreachable, a refused
login, a query that fails or lacks a column, the connection lost mid-read — is one RecbotError
naming the source and what to fix, and never shows the password.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Dialect, Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from core.errors import RecbotError
from db.session import make_engine, redact
from db.sync import arrow_source, mysql_stream
from db.sync.config import Source
from db.sync.mysql_reader import SESSION

EARLIEST = datetime(1900, 1, 1)  # `:since` for a full run of a query that names it
_SINCE = re.compile(r"(?<![:\w]):since\b")
_LOGIN_REFUSED = re.compile(
    r"access denied|password authentication failed|authentication failed|login failed|"
    r"\b1045\b|\b28P01\b",
    re.IGNORECASE,
)


def source_engine(source: Source) -> Engine:
    """An engine for the source (nothing connects yet)."""
    try:
        url = make_url(source.url)
    except (ArgumentError, ValueError):
        raise RecbotError(
            f"source {source.name}: `url` is not a valid database URL: {redact(source.url)!r} "
            "(expected e.g. mysql+pymysql://user@host:3306/dbname)"
        ) from None
    if source.password is not None:
        url = url.set(password=source.password)
    engine = make_engine(url, what=f"source {source.name}: url")
    if engine.dialect.name in ("mysql", "mariadb"):
        if engine.dialect.driver in _RAW_TEXT_DRIVERS:
            event.listen(engine, "do_connect", _raw_text)
        event.listen(engine, "connect", _mysql_session)
    return engine


# pymysql (pure Python, the default) and mysqlclient (C, mysql+mysqldb://: reads faster).
_RAW_TEXT_DRIVERS = frozenset({"pymysql", "mysqldb"})


def _raw_text(dialect: Dialect, _record: object, _args: object, params: dict) -> None:
    """The MySQL driver returning every value as the server's text (bytes for mysqlclient's
    numbers and dates): the rows are checked as text anyway, and building Decimals and datetimes
    first halves pymysql's (pure Python) reading speed. Only the decoders go; the encoders stay
    for bound parameters."""
    converters = importlib.import_module(f"{dialect.loaded_dbapi.__name__}.converters")
    params["conv"] = {
        kind: f for kind, f in converters.conversions.items() if not isinstance(kind, int)
    }


def _mysql_session(dbapi_connection: Any, _record: object) -> None:
    """TIMESTAMP columns in UTC, and no server-side timeout while this side writes a chunk."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute(SESSION)


@contextmanager
def connected(source: Source, engine: Engine) -> Iterator[Connection]:
    """A connection to the source; a failure to connect is one line."""
    try:
        conn = engine.connect()
    except DBAPIError as exc:
        raise RecbotError(_connect_failure(source, exc)) from None
    try:
        yield conn
    finally:
        with suppress(DBAPIError):  # the connection is already gone; its failure was reported
            conn.close()


def _connect_failure(source: Source, exc: DBAPIError) -> str:
    said = _first_line(exc, source)
    if _LOGIN_REFUSED.search(said):
        return (
            f"source {source.name}: the database refused the login ({said}); check the user "
            f"and password in its url or `password:` in the sources file"
        )
    return (
        f"source {source.name}: cannot connect to {source.shown_url} ({said}); is the database "
        "running and reachable from here?"
    )


Columns = dict[str, Sequence[Any]]  # one chunk: column -> its values (a sequence or Arrow array)


@dataclass(frozen=True)
class Query:
    """One query's result: its columns (lower-case) and the rows, chunk by chunk, each chunk as
    {column: values}."""

    columns: list[str]
    chunks: Iterator[Columns]


def chunk_size(chunk: Columns) -> int:
    return len(next(iter(chunk.values()))) if chunk else 0


def run_query(
    conn: Connection,
    source: Source,
    kind: str,
    required: Sequence[str],
    since: datetime | None = None,
    watermark: str | None = None,
) -> Query:
    """Start the `kind` query, streaming; rows with `watermark` >= `since` when both are given.

    A query that names `:since` gets it bound (the epoch-ish EARLIEST on a full run); any
    other is wrapped as SELECT * FROM (query) WHERE watermark >= :since. The transactions query
    is read column by column where the source's `reader` allows it (`_arrow_query`).
    """
    sql, params, hint = source.queries[kind], {}, ""
    if _SINCE.search(sql):
        params["since"] = since or EARLIEST
    elif since is not None and watermark is not None:
        column = conn.dialect.identifier_preparer.quote(watermark)
        sql = f"SELECT * FROM ({sql}) AS recbot_source WHERE recbot_source.{column} >= :since"
        params["since"] = since
        hint = (
            f" (an incremental run reads SELECT * FROM (query) WHERE {watermark} >= :since: "
            f"does the query return the watermark column {watermark}?)"
        )
    if kind == "transactions":
        arrow = _arrow_query(source, sql, params.get("since"), required, hint)
        if arrow is not None:
            return arrow
    streaming = conn.execution_options(stream_results=True, yield_per=source.chunk_rows)
    try:
        result = streaming.execute(text(sql), params)
    except DBAPIError as exc:
        raise RecbotError(
            f"source {source.name}: the {kind} query failed ({_first_line(exc, source)}); fix it "
            f"in the sources file{hint}"
        ) from None
    names = result.keys()  # a result iterates over rows, not names
    columns = [str(name).lower() for name in names]
    try:
        _check_columns(source, kind, columns, required)
    except RecbotError:
        result.close()
        raise
    return Query(columns, _chunks(result.partitions(source.chunk_rows), columns, source, kind))


def _check_columns(source: Source, kind: str, columns: list[str], required: Sequence[str]) -> None:
    missing = [column for column in required if column not in columns]
    if missing:
        raise RecbotError(
            f"source {source.name}: the {kind} query returns no column {', '.join(missing)} "
            f"(it returns: {', '.join(columns) or 'nothing'}); name them with AS in the query"
        )


def _arrow_query(
    source: Source, sql: str, since: datetime | None, required: Sequence[str], hint: str
) -> Query | None:
    """The transactions query read column by column — by asyncmy (`reader: auto`, a plain
    MySQL/MariaDB URL) or connectorx (`reader: connectorx`) — or None for the SQLAlchemy
    driver named in the URL."""
    if source.reader == "driver":
        return None
    if since is not None:
        sql = _SINCE.sub(_since_literal(since), sql)
    if source.reader == "connectorx":
        return _connectorx_query(source, sql, required, hint)
    where = mysql_stream.login(source)
    if where is None or not mysql_stream.available():
        return None
    try:
        stream = mysql_stream.Stream(where, sql, source.chunk_rows)
    except mysql_stream.QueryFailed as exc:
        raise RecbotError(
            f"source {source.name}: the transactions query failed ({_hide(str(exc), source)}); "
            f"fix it in the sources file{hint}"
        ) from None
    try:
        _check_columns(source, "transactions", stream.columns, required)
    except RecbotError:
        stream.close()
        raise
    return Query(stream.columns, stream.chunks(source))


def _since_literal(since: datetime) -> str:
    """`since` as an SQL timestamp literal MySQL and PostgreSQL compare with their date/time
    columns, for the readers that take no bound parameters (written from a datetime: nothing
    here comes from user text)."""
    return "'" + since.strftime("%Y-%m-%d %H:%M:%S.%f") + "'"


def _connectorx_query(source: Source, sql: str, required: Sequence[str], hint: str) -> Query:
    url = arrow_source.connectorx_url(source)
    if url is None or not arrow_source.available():
        raise RecbotError(
            f"source {source.name}: `reader: connectorx` needs a MySQL/MariaDB or PostgreSQL "
            "url with host and database and no ?options, and the connectorx package "
            "(pip install 'recbot[connectorx]'); use `reader: auto` otherwise"
        )
    try:
        reader = arrow_source.start(url, sql, source.chunk_rows, source)
    except arrow_source.ArrowStart as exc:
        raise RecbotError(
            f"source {source.name}: the transactions query failed (connectorx: {exc}); fix it "
            f"in the sources file, or read it with `reader: auto`{hint}"
        ) from None
    columns = [name.lower() for name in reader.schema.names]
    try:
        _check_columns(source, "transactions", columns, required)
    except RecbotError:
        reader.close()
        raise
    return Query(columns, arrow_source.batches(reader, source))


def _chunks(
    partitions: Iterator[Sequence[Sequence[Any]]], columns: list[str], source: Source, kind: str
) -> Iterator[Columns]:
    read = 0
    try:
        for rows in partitions:
            read += len(rows)
            if rows:
                yield dict(zip(columns, zip(*rows, strict=True), strict=True))
    except DBAPIError as exc:
        raise RecbotError(
            f"source {source.name}: reading the {kind} query failed after {read:,} rows "
            f"({_first_line(exc, source)}); nothing was written"
        ) from None


def _first_line(exc: DBAPIError, source: Source) -> str:
    text_ = str(exc.orig) if exc.orig is not None else str(exc)
    return _hide((text_.strip().splitlines() or ["unknown error"])[0][:300], source)


def _hide(line: str, source: Source) -> str:
    for secret in _secrets(source):
        line = line.replace(secret, "***")
    return line


def _secrets(source: Source) -> list[str]:
    secrets = [source.password] if source.password else []
    try:
        in_url = make_url(source.url).password
    except (ArgumentError, ValueError):
        in_url = None
    return secrets + ([str(in_url)] if in_url else [])
