"""Finding a customer from what a rep typed: external id, exact name, partial name, misspelling.

Exact lookups always read the database; partial and fuzzy ones search a per-process name index.
"""

from __future__ import annotations

import bisect
import threading
import time
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process, utils
from sqlalchemy import Connection, bindparam, func, or_, select

from db.models import Customer
from db.queries import CUSTOMER_COLUMNS, CustomerRef, customer_ref

MAX_CHOICES = 5


@dataclass(frozen=True)
class Match:
    """Outcome of a customer lookup. `total` counts all candidates when `customers` is cut to 5."""

    kind: Literal["one", "many", "none"]
    customers: tuple[CustomerRef, ...] = ()
    closest: tuple[str, ...] = ()
    total: int = 0
    fuzzy: bool = False  # choices are guesses at a misspelling, not names containing the text


class NameIndex:
    """Customer ids with their normalised names, and a fast "which names contain this word"."""

    def __init__(self, ids: list[int], keys: list[str]) -> None:
        self.ids, self.keys = ids, keys
        # One string holding every name: str.find scans it in C, far faster than a Python loop.
        self._blob = "\n".join(keys)
        self._starts: list[int] = []
        offset = 0
        for key in keys:
            self._starts.append(offset)
            offset += len(key) + 1

    def containing(self, word: str) -> list[int]:
        """Positions (in ids/keys) of the names containing `word`, in order."""
        out, blob, starts = [], self._blob, self._starts
        pos = blob.find(word)
        while pos != -1:
            n = bisect.bisect_right(starts, pos) - 1
            out.append(n)
            pos = blob.find(word, starts[n + 1]) if n + 1 < len(starts) else -1
        return out

    def count(self, word: str) -> int:
        return self._blob.count(word)

    def only(self, allowed: frozenset[int]) -> NameIndex:
        kept = [(i, k) for i, k in zip(self.ids, self.keys, strict=True) if i in allowed]
        return NameIndex([i for i, _ in kept], [k for _, k in kept])


class CustomerNames:
    """Every customer's id and name, cached per process for the partial and fuzzy lookups.

    Exact lookups always read the database; a customer imported a moment ago is found by partial
    or misspelt name once the cache refreshes (every `ttl_s` seconds).
    """

    def __init__(self, ttl_s: float = 300.0) -> None:
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._loaded_at = float("-inf")
        self._index = NameIndex([], [])

    def get(self, conn: Connection) -> NameIndex:
        with self._lock:
            if time.monotonic() - self._loaded_at > self.ttl_s:
                rows = conn.execute(select(Customer.id, Customer.name).order_by(Customer.name))
                pairs = [(r.id, utils.default_process(r.name)) for r in rows]
                self._index = NameIndex([i for i, _ in pairs], [k for _, k in pairs])
                self._loaded_at = time.monotonic()
            return self._index


def find_customer(
    conn: Connection, query: str, names: CustomerNames, allowed: frozenset[int] | None = None
) -> Match:
    """External id, then case-insensitive name, then partial name, then fuzzy name.

    `allowed` (when given) limits the search to those customer ids, so a restricted rep never
    sees the names of other reps' accounts, nor learns that one exists: an exact hit outside it
    is searched on among `allowed` as if it did not match.
    """
    exact = exact_match(conn, query, allowed)
    if exact is not None:
        return exact
    index = names.get(conn)
    if allowed is not None:
        index = index.only(allowed)
    ids, keys = index.ids, index.keys
    key = utils.default_process(query)
    if not key:
        return Match("none")
    chosen, total = _partial(index, key)
    if chosen:
        found = _refs(conn, chosen)
        return Match("one" if total == 1 else "many", tuple(found), total=total)
    guesses, sure = _fuzzy(ids, keys, key)
    if guesses:
        found = _refs(conn, guesses)
        return Match("one" if sure else "many", tuple(found), total=len(found), fuzzy=True)
    closest = process.extract(
        key, keys, scorer=fuzz.QRatio, processor=None, limit=3, score_cutoff=40
    )
    return Match("none", closest=tuple(_names(conn, [ids[i] for _, _, i in closest])))


def exact_match(
    conn: Connection, query: str, allowed: frozenset[int] | None = None
) -> Match | None:
    """The customers whose external id (else name) is exactly the text, ignoring case."""
    exact = _exact(conn, query)
    if not exact:
        return None
    visible = [c for c in exact if allowed is None or c.id in allowed]
    if not visible:  # as if it did not exist: a restricted rep learns nothing of the others
        return None
    return Match(
        "one" if len(visible) == 1 else "many", tuple(visible[:MAX_CHOICES]), total=len(visible)
    )


_EXACT = (
    select(*CUSTOMER_COLUMNS)
    .where(
        or_(
            func.lower(Customer.external_id) == bindparam("q"),
            func.lower(Customer.name) == bindparam("q"),
        )
    )
    .order_by(Customer.external_id)
)


def _exact(conn: Connection, query: str) -> list[CustomerRef]:
    """Customers whose external id, or else whose name, equals the text (ignoring case)."""
    lowered = query.lower()
    rows = conn.execute(_EXACT, {"q": lowered}).all()
    by_id = [r for r in rows if r.external_id.lower() == lowered]
    return [customer_ref(r) for r in by_id or rows]


def _partial(index: NameIndex, key: str) -> tuple[list[int], int]:
    """Names containing every word typed; names that start with the text come first."""
    ids, keys = index.ids, index.keys
    words = sorted(set(key.split()), key=index.count)
    first, rest = words[0], words[1:]
    hits = index.containing(first)  # start from the rarest word
    if rest:
        hits = [n for n in hits if all(w in keys[n] for w in rest)]
    hits.sort(key=lambda n: (not keys[n].startswith(key), keys[n]))
    return [ids[n] for n in hits[:MAX_CHOICES]], len(hits)


def _fuzzy(ids: list[int], keys: list[str], key: str) -> tuple[list[int], bool]:
    """Small typos: (guesses, sure). Sure means one clear, close winner; else guesses to offer."""
    scored = process.extract(
        key, keys, scorer=fuzz.ratio, processor=None, limit=MAX_CHOICES, score_cutoff=75
    )
    if not scored:
        return [], False
    best = scored[0][1]
    if best >= 88 and (len(scored) == 1 or scored[1][1] <= best - 5):
        return [ids[scored[0][2]]], True
    return [ids[i] for _, _, i in scored], False


def _refs(conn: Connection, ids: list[int]) -> list[CustomerRef]:
    rows = conn.execute(select(*CUSTOMER_COLUMNS).where(Customer.id.in_(ids))).all()
    by_id = {r.id: customer_ref(r) for r in rows}
    return [by_id[i] for i in ids if i in by_id]


def _names(conn: Connection, ids: list[int]) -> list[str]:
    return [c.name for c in _refs(conn, ids)]
