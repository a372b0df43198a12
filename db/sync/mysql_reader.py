"""The reading process of db/sync/mysql_stream.py: `python -m db.sync.mysql_reader`.

Reads one JSON line from stdin ({host, port, user, password, database, sql, chunk_rows}: the
password comes this way, never through the command line or the environment), runs the query with
asyncmy and writes its rows to stdout as an Arrow IPC stream of record batches, every value as
the server's bytes. A failure is one line on stderr and exit status 1.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import pyarrow as pa

SESSION = "SET time_zone = '+00:00', net_write_timeout = 3600"


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
            with pa.ipc.new_stream(out, schema) as writer:
                # A full pipe blocks this write: the socket then fills and the server waits.
                while rows := await cursor.fetchmany(spec["chunk_rows"]):
                    by_column = zip(*rows, strict=True)
                    columns = [pa.array(values, pa.large_binary()) for values in by_column]
                    writer.write_batch(pa.record_batch(columns, schema=schema))
    finally:
        conn.close()


def _name(name: Any) -> str:
    return name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)


def main() -> int:
    spec = json.loads(sys.stdin.readline())
    try:
        asyncio.run(stream(spec, sys.stdout.buffer))
    except BrokenPipeError:  # the reading side stopped early: nothing to report
        return 0
    except Exception as exc:
        sys.stderr.write(_message(exc) + "\n")
        return 1
    return 0


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
