"""The sources file: which databases `recbot sync` reads and the query for each kind of data.

    sources:
      erp:                                   # the source's name: recorded on every line it gives
        url: mysql+pymysql://recbot@erp-db:3306/erp
        password: ${ERP_PASSWORD}            # optional; any character, kept out of the URL
        watermark: updated_at                # a date/time column of the transactions query
        reader: auto                         # auto, driver or connectorx (db/sync/source.py)
        transactions: SELECT …               # required
        customers: SELECT …                  # optional, like products and reps

`${NAME}` in `url` and `password` is replaced by the environment variable NAME (or `.env`).
The URL and password never reach a log line or a message: `Source.shown_url` hides the password.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from core.env import read_env
from core.errors import RecbotError
from db.session import redact

KINDS = ("transactions", "customers", "products", "reps")
DEFAULT_WATERMARK = "updated_at"
# Fewer, larger chunks spend less on each chunk's fixed costs (10 M lines: 74.6 s at 200,000
# against 82.2 s at 50,000, bench/RESULTS.md); memory stays flat at about half a GB.
DEFAULT_CHUNK_ROWS = 200_000
READERS = ("auto", "driver", "connectorx")
_KEYS = frozenset({"url", "password", "watermark", "skip_invalid", "chunk_rows", "reader", *KINDS})
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Source:
    name: str
    url: str = field(repr=False)
    password: str | None = field(repr=False)
    watermark: str
    queries: dict[str, str]
    skip_invalid: bool = False
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    reader: str = "auto"  # who reads the transactions query: see db/sync/arrow_source.py

    @property
    def shown_url(self) -> str:
        """The URL for messages: the password hidden."""
        return redact(self.url)


def load_sources(path: Path, environ: Mapping[str, str] | None = None) -> list[Source]:
    """The sources in `path`, checked; a mistake is one RecbotError naming the file and key."""
    if not path.is_file():
        raise RecbotError(
            f"no sources file {path}: describe your database there (see sources.example.yml) "
            "or point SOURCES_FILE at it"
        )
    if environ is None:
        read_env(())  # loads .env into the environment
        environ = os.environ
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise RecbotError(f"{path.name}: not valid YAML{where}: {problem}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RecbotError(f"{path.name}: cannot read the sources file: {exc}") from None
    sources = document.get("sources") if isinstance(document, dict) else None
    if not isinstance(sources, dict) or not sources:
        raise RecbotError(f"{path.name}: expected a `sources:` mapping with at least one source")
    return [_source(path.name, str(name), spec, environ) for name, spec in sources.items()]


def _source(file: str, name: str, spec: Any, environ: Mapping[str, str]) -> Source:
    where = f"{file}: source {name!r}"
    if not _NAME.fullmatch(name):
        raise RecbotError(
            f"{where}: a source name is 1 to 64 letters, digits, '.', '_' or '-', starting with "
            "a letter or digit"
        )
    if not isinstance(spec, dict):
        raise RecbotError(f"{where}: expected keys such as url, watermark and transactions")
    unknown = sorted(str(key) for key in spec if key not in _KEYS)
    if unknown:
        raise RecbotError(
            f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})"
        )
    url = spec.get("url")
    if not isinstance(url, str) or not url.strip():
        raise RecbotError(f"{where}: `url` is missing (a SQLAlchemy URL, e.g. mysql+pymysql://…)")
    queries = {kind: spec[kind] for kind in KINDS if spec.get(kind) is not None}
    if "transactions" not in queries:
        raise RecbotError(f"{where}: the `transactions` query is missing")
    for kind, query in queries.items():
        if not isinstance(query, str) or not query.strip():
            raise RecbotError(f"{where}: `{kind}` must be an SQL query")
    watermark = spec.get("watermark", DEFAULT_WATERMARK)
    if not isinstance(watermark, str) or not re.fullmatch(r"\w{1,64}", watermark):
        raise RecbotError(f"{where}: `watermark` must be a column name, got {watermark!r}")
    skip_invalid = spec.get("skip_invalid", False)
    if not isinstance(skip_invalid, bool):
        raise RecbotError(f"{where}: `skip_invalid` must be true or false")
    chunk_rows = spec.get("chunk_rows", DEFAULT_CHUNK_ROWS)
    if not isinstance(chunk_rows, int) or not 1 <= chunk_rows <= 1_000_000:
        raise RecbotError(f"{where}: `chunk_rows` must be a whole number from 1 to 1000000")
    reader = spec.get("reader", "auto")
    if reader not in READERS:
        raise RecbotError(f"{where}: `reader` must be one of {', '.join(READERS)}")
    password = spec.get("password")
    if password is not None and not isinstance(password, str | int):
        raise RecbotError(f"{where}: `password` must be text")
    return Source(
        name=name,
        url=_expand(url.strip(), f"{where}: `url`", environ),
        password=None
        if password is None
        else _expand(str(password), f"{where}: `password`", environ),
        watermark=watermark,
        queries={kind: query.strip().rstrip(";").strip() for kind, query in queries.items()},
        skip_invalid=skip_invalid,
        chunk_rows=chunk_rows,
        reader=reader,
    )


def _expand(value: str, where: str, environ: Mapping[str, str]) -> str:
    """`${NAME}` replaced by the environment's NAME; an unset one is an error naming it."""
    missing = [name for name in _VARIABLE.findall(value) if name not in environ]
    if missing:
        raise RecbotError(
            f"{where} uses ${{{missing[0]}}}, which is not set in the environment (or .env)"
        )
    return _VARIABLE.sub(lambda match: environ[match.group(1)], value)
