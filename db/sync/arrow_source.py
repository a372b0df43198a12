"""Reading a source's transactions with connectorx (Rust) as Arrow record batches: `reader:
connectorx` in the sources file, with the `recbot[connectorx]` extra installed.

connectorx reads MySQL/MariaDB and PostgreSQL results column by column in Rust, at about the
speed of the database's own client, and outside the GIL. But its stream is an unbounded
channel: when the writes are slower than the source, it keeps reading ahead and holds the rest
of the result (1 GB at 10 M lines, bench/RESULTS.md, "Sync"). So it is an opt-in for machines
with memory to spare; the default reader is db/sync/mysql_stream.py. Only the transactions
query goes this way; the master queries are small and keep the SQLAlchemy driver.

connectorx takes no bound parameters, so `:since` comes as a quoted timestamp literal
(db/sync/source.py writes it from a datetime, never from user text). It opens its own
connection from a plain URL (host and database, no options such as ssl or a unix socket).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pyarrow as pa
from sqlalchemy.engine import make_url

from core.errors import RecbotError
from db.sync.config import Source
from db.sync.mysql_reader import SESSION

_SCHEMES = {"mysql": "mysql", "mariadb": "mysql", "postgresql": "postgresql"}


def connectorx_url(source: Source) -> str | None:
    """The source's URL as connectorx reads it, or None when connectorx cannot read it the way
    the SQLAlchemy driver would (another database, a unix socket, URL options)."""
    url = make_url(source.url)
    scheme = _SCHEMES.get(url.get_backend_name())
    if scheme is None or url.query or not url.host or not url.database:
        return None
    password = source.password if source.password is not None else url.password
    login = quote(url.username or "", safe="")
    if password:
        login += ":" + quote(str(password), safe="")
    port = f":{url.port}" if url.port else ""
    return f"{scheme}://{login}@{url.host}{port}/{quote(url.database, safe='')}"


def available() -> bool:
    try:
        import connectorx  # noqa: F401
    except ImportError:
        return False
    return True


class ArrowStart(Exception):
    """connectorx could not start the query; the message is its own (no password in it)."""


def start(url: str, sql: str, batch_rows: int, source: Source) -> pa.RecordBatchReader:
    """Run `sql` through connectorx, streaming record batches of at most `batch_rows`."""
    import connectorx

    session = [SESSION] if url.startswith("mysql:") else None
    try:
        return connectorx.read_sql(
            url, sql, return_type="arrow_stream", batch_size=batch_rows,
            pre_execution_query=session,
        )  # fmt: skip
    except BaseException as exc:
        if not isinstance(exc, RuntimeError | ValueError) and not _panic(exc):
            raise
        raise ArrowStart(_first_line(exc, source)) from None


def batches(reader: pa.RecordBatchReader, source: Source) -> Iterator[dict[str, Any]]:
    """The reader's batches as {lower-case column: Arrow array}; a failure mid-read is one line."""
    names = [name.lower() for name in reader.schema.names]
    read = 0
    try:
        for batch in reader:
            read += batch.num_rows
            if batch.num_rows:
                yield dict(zip(names, batch.columns, strict=True))
    except BaseException as exc:
        # A failure mid-read reaches Python as pyo3's PanicException, a BaseException.
        if not isinstance(exc, RuntimeError | OSError | pa.ArrowException) and not _panic(exc):
            raise
        raise RecbotError(
            f"source {source.name}: reading the transactions query failed after {read:,} rows "
            f"({_first_line(exc, source)}); nothing was written"
        ) from None
    finally:
        reader.close()


def _panic(exc: BaseException) -> bool:
    return type(exc).__name__ == "PanicException"


def _first_line(exc: BaseException, source: Source) -> str:
    line = (str(exc).strip().splitlines() or ["unknown error"])[0][:300]
    secrets = [source.password, make_url(source.url).password]
    for secret in filter(None, secrets):
        for shown in {str(secret), quote(str(secret), safe="")}:
            line = line.replace(shown, "***")
    return line
