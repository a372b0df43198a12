"""Streaming a MySQL/MariaDB source's transactions query with asyncmy, column by column.

pymysql parses every value in Python (~6 µs a row, most of a big sync's time); asyncmy parses the
same protocol in compiled Cython. A reader thread runs it and hands over chunks as Arrow arrays
(each value as the server's text, as the checks read it) through a queue of two chunks: when
recbot writes slower than the source reads, the thread waits, the socket fills and the server
waits too, so memory stays at a few chunks whatever the result's size. (connectorx reads even
faster but keeps reading ahead without bound: `reader: connectorx`, db/sync/arrow_source.py.)

The master queries are small and keep the SQLAlchemy driver; that driver's connection, opened
first, also reports a refused login or an unreachable server. `:since` is written into the query
as a timestamp literal (from a datetime, never from user text), so the query text is sent as it
is and a `%` in it needs no escaping.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from sqlalchemy.engine import make_url

from core.errors import RecbotError
from db.sync.config import Source

_SESSION = "SET time_zone = '+00:00', net_write_timeout = 3600"
_AHEAD = 2  # chunks read ahead of the writer
_PUT_WAIT_S = 0.5


@dataclass(frozen=True)
class Login:
    host: str
    port: int
    user: str
    password: str
    database: str


def login(source: Source) -> Login | None:
    """Where asyncmy connects for this source, or None when its URL is not a plain MySQL/MariaDB
    one (a unix socket, URL options such as ssl: the SQLAlchemy driver reads those)."""
    url = make_url(source.url)
    if url.get_backend_name() not in ("mysql", "mariadb") or url.query or not url.host:
        return None
    password = source.password if source.password is not None else url.password
    return Login(
        host=url.host,
        port=url.port or 3306,
        user=url.username or "",
        password=str(password or ""),
        database=url.database or "",
    )


def available() -> bool:
    try:
        import asyncmy  # noqa: F401
    except ImportError:
        return False
    return True


class QueryFailed(Exception):
    """The query did not start (the server's message, no password in it)."""


class Stream:
    """A query's result read by a thread: `columns`, then `chunks()` as {column: Arrow array}."""

    def __init__(self, where: Login, sql: str, chunk_rows: int) -> None:
        self.where, self.sql, self.chunk_rows = where, sql, chunk_rows
        self.queue: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=_AHEAD)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="source-reader", daemon=True)
        self.thread.start()
        kind, value = self.queue.get()
        if kind == "error":
            self.close()
            raise QueryFailed(_first_line(value))
        self.columns: list[str] = value

    def chunks(self, source: Source) -> Iterator[dict[str, pa.Array]]:
        read = 0
        try:
            while True:
                kind, value = self.queue.get()
                if kind == "end":
                    return
                if kind == "error":
                    raise RecbotError(
                        f"source {source.name}: reading the transactions query failed after "
                        f"{read:,} rows ({_first_line(value)}); nothing was written"
                    )
                read += len(value[self.columns[0]])
                yield value
        finally:
            self.close()

    def close(self) -> None:
        """Stop the thread (it closes its connection) without waiting for the rest."""
        self.stopped.set()
        while self.thread.is_alive():
            with suppress(queue.Empty):
                self.queue.get(timeout=_PUT_WAIT_S)
        self.thread.join()

    def _run(self) -> None:
        try:
            asyncio.run(self._read())
        except Exception as exc:  # handed over to the reading side, which reports it
            self._put(("error", exc))

    async def _read(self) -> None:
        import asyncmy
        from asyncmy import converters
        from asyncmy.cursors import SSCursor

        # No decoders: every value comes as the server's text (bytes for binary columns).
        text = {kind: f for kind, f in converters.conversions.items() if not isinstance(kind, int)}
        conn = await asyncmy.connect(
            host=self.where.host,
            port=self.where.port,
            user=self.where.user,
            password=self.where.password,
            database=self.where.database,
            charset="utf8mb4",
            conv=text,
            init_command=_SESSION,
        )
        try:
            async with conn.cursor(cursor=SSCursor) as cursor:
                await cursor.execute(self.sql)
                columns = [str(column[0]).lower() for column in cursor.description or ()]
                if not self._put(("columns", columns)):
                    return
                while not self.stopped.is_set():
                    rows = await cursor.fetchmany(self.chunk_rows)
                    if not rows:
                        break
                    arrays = [pa.array(values) for values in zip(*rows, strict=True)]
                    if not self._put(("rows", dict(zip(columns, arrays, strict=True)))):
                        return
            self._put(("end", None))
        finally:
            conn.close()

    def _put(self, item: tuple[str, Any]) -> bool:
        """Hand `item` over, waiting while the queue is full; False once the reader stopped."""
        while not self.stopped.is_set():
            try:
                self.queue.put(item, timeout=_PUT_WAIT_S)
                return True
            except queue.Full:
                continue
        return False


def _first_line(exc: BaseException) -> str:
    """The server's message: asyncmy's errors are (code, message) like pymysql's."""
    args: tuple[Any, ...] = tuple(getattr(exc, "args", ()))
    if len(args) == 2 and isinstance(args[0], int):
        said = f"({args[0]}, {args[1]!r})"
    else:
        said = str(exc) or type(exc).__name__
    return (said.strip().splitlines() or ["unknown error"])[0][:300]
