"""Reading import files: plain or gzipped CSV, the header mapped to canonical column names, and
the rows in chunks of strings that carry their line numbers. Nothing here checks values."""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import re
import warnings
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import RecbotError


def parse_column_map(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """`["customer_id=CustomerID"]` -> `{"CustomerID": "customer_id"}` (source -> canonical)."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        canonical, sep, source = pair.partition("=")
        canonical, source = canonical.strip(), source.strip()
        if not sep or not canonical or not source:
            raise RecbotError(f"--map takes canonical=source, got {pair!r}")
        mapping[source] = canonical
    return mapping


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with reading_errors(path), path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def open_text(path: Path) -> tuple[io.BufferedReader, io.TextIOBase]:
    """(raw byte stream for progress, text stream to parse); gunzips `.gz` files."""
    if not path.is_file():
        raise RecbotError(f"no such file: {path}")
    with reading_errors(path):
        raw = path.open("rb")
    stream = gzip.GzipFile(fileobj=raw) if path.suffix == ".gz" else raw
    return raw, io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")


_UNCLOSED_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")


@contextmanager
def reading_errors(path: Path) -> Iterator[None]:
    """Whatever stops a file from being read to its end becomes one RecbotError that names the
    file and, where it can be found, the line."""
    name = path.name
    try:
        yield
    except pd.errors.ParserError as exc:
        quote = _UNCLOSED_QUOTE.search(str(exc))
        if quote:  # pandas counts rows from 0, the header included
            line = int(quote.group(1)) + 1
            raise RecbotError(
                f"{name}: malformed CSV: the quote opened on line {line} is never closed"
            ) from None
        raise RecbotError(f"{name}: malformed CSV: {str(exc).strip()}") from None
    except pd.errors.ParserWarning:
        raise RecbotError(
            f"{name}: malformed CSV: line 2 has more fields than the header"
        ) from None
    except UnicodeDecodeError:
        raise RecbotError(
            f"{name}: not a UTF-8 text file (line {_damaged_line(path)} has bytes that are not "
            "UTF-8)"
        ) from None
    except EOFError:
        raise RecbotError(
            f"{name}: the gzip file is truncated (its data breaks off in line "
            f"{_damaged_line(path)})"
        ) from None
    except zlib.error:
        raise RecbotError(
            f"{name}: the gzip data is corrupt (from line {_damaged_line(path)})"
        ) from None
    except gzip.BadGzipFile as exc:
        if str(exc).startswith("Not a gzipped file"):
            raise RecbotError(
                f"{name}: not a gzip file (name a plain CSV file without .gz)"
            ) from None
        raise RecbotError(f"{name}: the gzip data is corrupt ({exc})") from None
    except OSError as exc:
        raise RecbotError(f"{name}: cannot read the file: {exc.strerror or exc}") from None


def _damaged_line(path: Path) -> int | None:
    """The line of the first bytes that are not UTF-8, or where the (decompressed) data breaks
    off. Reads the file again, so only called once reading has failed."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    newlines = 0
    try:
        with path.open("rb") as raw:
            stream = gzip.GzipFile(fileobj=raw) if path.suffix == ".gz" else raw
            while block := stream.read1(1 << 16):
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    # exc.object is any partial character held back from the last block, which
                    # has no newline, followed by this block
                    return newlines + exc.object[: exc.start].count(b"\n") + 1
                newlines += block.count(b"\n")
            decoder.decode(b"", final=True)
    except (UnicodeDecodeError, OSError, EOFError, zlib.error):
        return newlines + 1
    return None


def read_header(
    path: Path, column_map: dict[str, str], required: tuple[str, ...], optional: tuple[str, ...]
) -> list[str]:
    """The file's columns renamed to canonical names; a clear error if a required one is missing."""
    raw, text = open_text(path)
    with raw, text, reading_errors(path):
        reader = csv.reader(text)
        try:
            header = next(reader)
        except StopIteration:
            raise RecbotError(f"{path.name}: the file is empty (expected a header line)") from None
        except csv.Error as exc:
            raise RecbotError(
                f"{path.name}: malformed CSV: the header (line 1) cannot be read: {exc} "
                "(a quote that is never closed?)"
            ) from None
        if reader.line_num > 1:
            raise RecbotError(
                f"{path.name}: malformed CSV: a quote opened in the header (line 1) is not "
                "closed on that line"
            )
    header = [h.strip() for h in header]
    missing_sources = [s for s in column_map if s not in header]
    if missing_sources:
        raise RecbotError(
            f"{path.name}: --map names column(s) {', '.join(missing_sources)} that the file does "
            f"not have (it has: {', '.join(header)})"
        )
    canonical = [column_map.get(h, h) for h in header]
    missing = [c for c in required if c not in canonical]
    if missing:
        raise RecbotError(
            f"{path.name}: missing column(s) {', '.join(missing)} (the file has: "
            f"{', '.join(header)}; rename with --map {missing[0]}=YOUR_COLUMN)"
        )
    known = required + optional
    duplicated = sorted({c for c in canonical if canonical.count(c) > 1 and c in known})
    if duplicated:
        raise RecbotError(f"{path.name}: column(s) {', '.join(duplicated)} appear more than once")
    return canonical


def read_chunks(
    path: Path, header: list[str], chunk_rows: int, on_bytes: Callable[[int], None] | None = None
) -> Iterator[pd.DataFrame]:
    """Chunks of the file as strings, each with a `_line` column: the line number in the file."""
    raw, text = open_text(path)
    with raw, text, reading_errors(path), warnings.catch_warnings():
        # pandas only warns when the first data line has more fields than the header.
        warnings.simplefilter("error", pd.errors.ParserWarning)
        reader = pd.read_csv(
            text,
            header=0,
            names=header,
            dtype=object,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
            chunksize=chunk_rows,
            on_bad_lines="error",
            index_col=False,
        )
        first_line = 2
        for chunk in reader:
            chunk["_line"] = np.arange(first_line, first_line + len(chunk))
            first_line += len(chunk)
            if on_bytes is not None:
                on_bytes(raw.tell())
            yield _without_blank_lines(chunk, header)


def _without_blank_lines(chunk: pd.DataFrame, header: list[str]) -> pd.DataFrame:
    # isna() on text columns is slow: test the first column, then only its empty cells.
    maybe_blank = np.flatnonzero(chunk[header[0]].isna().to_numpy())
    if len(maybe_blank) == 0:
        return chunk
    blank = chunk.iloc[maybe_blank][header].isna().all(axis=1)
    return chunk.drop(index=blank.index[blank.to_numpy()])


def read_records(
    path: Path, column_map: dict[str, str], required: tuple[str, ...], optional: tuple[str, ...]
) -> tuple[list[dict], list[int]]:
    """A small file's rows as dicts of stripped strings (None for empty cells), with their line
    numbers; only the known columns are kept."""
    header = read_header(path, column_map, required, optional)
    rows, lines = [], []
    for chunk in read_chunks(path, header, 100_000):
        keep = [c for c in required + optional if c in chunk]
        for line, record in zip(
            chunk["_line"].tolist(), chunk[keep].to_dict("records"), strict=True
        ):
            rows.append({k: (v.strip() if isinstance(v, str) else None) for k, v in record.items()})
            lines.append(line)
    return rows, lines
