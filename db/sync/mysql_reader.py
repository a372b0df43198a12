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
from typing import Any

import pyarrow as pa

SESSION = "SET time_zone = '+00:00', net_write_timeout = 3600"
STATUS = "recbot-reader: "  # marks the status lines among anything else on stderr


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
                    while rows := await cursor.fetchmany(spec["chunk_rows"]):
                        by_column = zip(*rows, strict=True)
                        columns = [pa.array(values, pa.large_binary()) for values in by_column]
                        writer.write_batch(pa.record_batch(columns, schema=schema))
            finally:  # the stream's end, also after a failure, reaches the reading side
                out.flush()
    finally:
        conn.close()


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
