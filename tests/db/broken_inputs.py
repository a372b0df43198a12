"""Files that cannot be read to the end: each import must stop with one `Error:` line naming the
file (and the line, where it is known) and write nothing. The damage comes after enough good
lines that several chunks have been read (and written, before the rollback) by then."""

from __future__ import annotations

import gzip
from pathlib import Path

GOOD_LINES = 20_000  # about 500 KB: past the header sniff and pandas' first read buffer
DAMAGED_LINE = GOOD_LINES + 2  # the header is line 1

BROKEN = [
    "unclosed quote",
    "not UTF-8",
    "not gzip",
    "truncated gzip",
    "corrupt gzip",
    "unclosed quote in the header",
]


def broken_file(tmp_path: Path, broken: str, header: str, row: str) -> tuple[Path, list[str]]:
    """(path, fragments the error message must contain). `row` is a format string taking {i}."""
    lines = [row.format(i=i) for i in range(GOOD_LINES)]
    body = "\n".join([header, *lines]) + "\n"
    name = "broken.csv.gz" if "gzip" in broken else "broken.csv"
    path = tmp_path / name
    if broken == "unclosed quote":
        first, *rest = row.split(",")
        damaged = ",".join([f'"{first.format(i=-1)}', *[r.format(i=-1) for r in rest]])
        path.write_text(body + damaged + "\n" + body.split("\n", 1)[1], encoding="utf-8")
        return path, [name, "malformed CSV", f"line {DAMAGED_LINE}", "never closed"]
    if broken == "not UTF-8":
        damaged = row.format(i=-1).encode("utf-8").replace(b"-1", b"\xff\xfe", 1)
        path.write_bytes(body.encode("utf-8") + damaged + b"\n" + body.encode("utf-8")[-200:])
        return path, [name, "not a UTF-8 text file", f"line {DAMAGED_LINE}"]
    if broken == "not gzip":
        path.write_text(body, encoding="utf-8")
        return path, [name, "not a gzip file"]
    compressed = gzip.compress(body.encode("utf-8"))
    if broken == "truncated gzip":
        path.write_bytes(compressed[: len(compressed) * 3 // 4])
        return path, [name, "truncated", "line"]
    if broken == "corrupt gzip":
        middle = len(compressed) * 3 // 4
        path.write_bytes(compressed[:middle] + bytes(64) + compressed[middle + 64 :])
        return path, [name, "corrupt"]
    assert broken == "unclosed quote in the header"
    path.write_text('"' + body, encoding="utf-8")  # the header never ends: no line 2
    return path, [name, "malformed CSV", "line 1", "quote"]
