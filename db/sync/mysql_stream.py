"""Streaming a MySQL/MariaDB source's transactions query with asyncmy, in a process of its own.

pymysql parses every value in Python (~6 µs a row, most of a big sync's time); asyncmy parses the
same protocol in compiled Cython. It runs in a child process (db/sync/mysql_reader.py), so its
work is on the other core and not under this process's GIL, and hands the rows over as Arrow
record batches through a pipe: when recbot writes slower than the source reads, the pipe fills,
the child waits, its socket fills and the server waits too, so memory stays at a few chunks
whatever the result's size. (connectorx reads faster still but keeps reading ahead without
bound: `reader: connectorx`, db/sync/arrow_source.py.)

The master queries are small and keep the SQLAlchemy driver; that driver's connection, opened
first, also reports a refused login or an unreachable server. `:since` is written into the query
as a timestamp literal (from a datetime, never from user text), so the query text is sent as it
is and a `%` in it needs no escaping.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy.engine import make_url

from core.errors import RecbotError
from db.sync.config import Source
from db.sync.mysql_reader import STATUS


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


_READER = Path(__file__).with_name("mysql_reader.py")
_idle: list[subprocess.Popen[bytes]] = []  # reader processes between queries
_idle_lock = threading.Lock()


def _reader_process() -> subprocess.Popen[bytes]:
    with _idle_lock:
        while _idle:
            process = _idle.pop()
            if process.poll() is None:
                return process
    # -I: the script alone, not recbot's folders, on its import path
    return subprocess.Popen(
        [sys.executable, "-I", str(_READER)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


class Stream:
    """A query's result read by a reader process: `columns`, then `chunks()` as
    {column: Arrow array of the server's bytes}."""

    def __init__(self, where: Login, sql: str, chunk_rows: int) -> None:
        self.process = _reader_process()
        assert self.process.stdin is not None and self.process.stdout is not None
        spec = {**asdict(where), "sql": sql, "chunk_rows": chunk_rows}
        try:
            self.process.stdin.write(json.dumps(spec).encode() + b"\n")
            self.process.stdin.flush()
        except OSError:
            self._stop()
            raise QueryFailed("the reader process stopped") from None
        status = self._status()
        if status != "started":
            self._release()
            raise QueryFailed(status.removeprefix("failed "))
        self.finished = False
        try:
            self.reader = pa.ipc.open_stream(self.process.stdout)
        except (pa.ArrowInvalid, OSError):  # the process died between its status and its stream
            self._stop()
            raise QueryFailed(
                f"the reader process stopped (exit status {self.process.returncode})"
            ) from None
        self.columns = [name.lower() for name in self.reader.schema.names]

    def chunks(self, source: Source) -> Iterator[dict[str, Any]]:
        read = 0
        try:
            while True:
                try:
                    batch = self.reader.read_next_batch()
                except StopIteration:
                    break
                except (pa.ArrowInvalid, OSError):  # the stream broke off: the process died
                    self._stop()
                    raise RecbotError(
                        f"source {source.name}: reading the transactions query failed after "
                        f"{read:,} rows (the reader process stopped, exit status "
                        f"{self.process.returncode}); nothing was written"
                    ) from None
                read += batch.num_rows
                yield dict(zip(self.columns, batch.columns, strict=True))
            status = self._status()
            self.finished = True
            if status != "done":
                raise RecbotError(
                    f"source {source.name}: reading the transactions query failed after "
                    f"{read:,} rows ({status.removeprefix('failed ')}); nothing was written"
                )
        finally:
            self.close()

    def close(self) -> None:
        """Hand the process back for the next query, or stop it if it is mid-stream."""
        if self.finished:
            self._release()
        else:
            self._stop()

    def _status(self) -> str:
        """The reader's next status line (other lines on its stderr are passed over)."""
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            line = raw.decode("utf-8", "replace").strip()
            if line.startswith(STATUS):
                return line.removeprefix(STATUS)[:400]
        self._stop()
        return f"failed the reader process stopped (exit status {self.process.returncode})"

    def _release(self) -> None:
        with _idle_lock:
            _idle.append(self.process)

    def _stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()
