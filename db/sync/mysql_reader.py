"""The reading process of db/sync/mysql_stream.py (run as a script, with nothing of recbot's
imported: it starts in a few tenths of a second and is kept for the next query).

For each JSON line on stdin ({host, port, user, password, database, sql, chunk_rows}: the
password comes this way, never through the command line or the environment) it runs the query
with asyncmy and writes its rows to stdout as an Arrow IPC stream of record batches, every value
as the server's bytes. Its status lines go to stderr, after `recbot-reader: `: `started` once
the query runs (the stream follows), then `done`; or `failed MESSAGE` (before the stream, or
after it was cut short and closed).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from typing import Any

import pyarrow as pa

# Every MySQL session of the sync: TIMESTAMP columns in UTC, and no server-side timeout while
# recbot writes a chunk (db/sync/source.py and arrow_source.py use it too).
SESSION = "SET time_zone = '+00:00', net_write_timeout = 3600"
STATUS = "recbot-reader: "  # marks the status lines among anything else on stderr
FETCH_ROWS = 10_000  # rows fetched at a time into a chunk


async def stream(spec: dict[str, Any], out: Any) -> None:
    import asyncmy
    from asyncmy import converters
    from asyncmy.cursors import SSCursor

    # No decoders and no text decoding: every value comes as the server's bytes.
    raw = {kind: f for kind, f in converters.conversions.items() if not isinstance(kind, int)}
    conn = await asyncmy.connect(
        host=spec["host"],
        port=spec["port"],
        user=spec["user"],
        password=spec["password"],
        database=spec["database"],
        charset="utf8mb4",
        conv=raw,
        use_unicode=False,
        init_command=SESSION,
    )
    try:
        async with conn.cursor(cursor=SSCursor) as cursor:
            await cursor.execute(spec["sql"])
            names = [_name(column[0]) for column in cursor.description or ()]
            schema = pa.schema([(name, pa.large_binary()) for name in names])
            _status("started")
            try:
                with pa.ipc.new_stream(out, schema) as writer:
                    # A full pipe blocks this write: the socket fills and the server waits.
                    async for batch in _batches(cursor, schema, spec["chunk_rows"]):
                        writer.write_batch(batch)
            finally:  # the stream's end, also after a failure, reaches the reading side
                out.flush()
    finally:
        conn.close()


async def _batches(cursor: Any, schema: pa.Schema, chunk_rows: int) -> AsyncIterator[Any]:
    """Record batches of `chunk_rows` rows, fetched a few thousand rows at a time: rows as
    Python objects take ~10 times the memory of the same rows in Arrow."""
    parts: list[pa.RecordBatch] = []
    held = 0
    while rows := await cursor.fetchmany(min(chunk_rows, FETCH_ROWS)):
        columns = [pa.array(values, pa.large_binary()) for values in zip(*rows, strict=True)]
        parts.append(pa.record_batch(columns, schema=schema))
        held += len(rows)
        if held >= chunk_rows:
            yield pa.Table.from_batches(parts).combine_chunks().to_batches()[0]
            parts, held = [], 0
    if parts:
        yield pa.Table.from_batches(parts).combine_chunks().to_batches()[0]


def _name(name: Any) -> str:
    return name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)


def main() -> int:
    for line in sys.stdin:
        try:
            asyncio.run(stream(json.loads(line), sys.stdout.buffer))
        except BrokenPipeError:  # the reading side is gone
            return 0
        except Exception as exc:
            _status("failed " + _message(exc))
            continue
        _status("done")
    return 0


def _status(line: str) -> None:
    sys.stderr.write(STATUS + line + "\n")
    sys.stderr.flush()


def _message(exc: BaseException) -> str:
    """The server's message: asyncmy's errors are (code, message) like pymysql's."""
    args: tuple[Any, ...] = tuple(getattr(exc, "args", ()))
    if len(args) == 2 and isinstance(args[0], int):
        said = f"({args[0]}, {args[1]!r})"
    else:
        said = str(exc) or type(exc).__name__
    return (said.strip().splitlines() or ["unknown error"])[0][:300]


if __name__ == "__main__":
    sys.exit(main())
