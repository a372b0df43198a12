"""The per customer, product and week aggregate on SQLite: one sequential scan, grouped in numpy.

SQLite's GROUP BY sorts every line in a temporary B-tree, and the planner scans the table through
the customer index (a random read per line). On 4 M lines that, not the transfer, was most of the
time. Here SQLite reads the table in rowid order without an index and returns two numbers per
line: (week, customer, product) packed into one integer, and the quantity; numpy sorts and sums
each block as it arrives, then the blocks' partial sums. Same rows as the SQL GROUP BY.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
from sqlalchemy import Connection, DateTime

PRODUCT_BITS = 31  # product ids are 32-bit integers (the column's type)
BLOCK = 250_000
_WHERE = "occurred_at < :as_of AND (:since IS NULL OR occurred_at >= :since)"
# julianday of the date part: the same day as date(occurred_at) for the text the ORM stores
_WEEK = "CAST((julianday(:day) - julianday(substr(occurred_at, 1, 10)) - 1) / 7 AS INTEGER)"
_SCAN = (
    f"SELECT (({_WEEK}) * :customers + customer_id) * :shift + product_id, quantity "
    f"FROM transactions NOT INDEXED WHERE {_WHERE}"
)


def weekly_sqlite(conn: Connection, as_of: datetime, since: datetime | None) -> np.ndarray | None:
    """(customer, product, week, quantity, lines) rows with quantity > 0, as float64 columns.

    None when the packed key would not fit in 63 bits (then the caller groups in SQL).
    """
    stored = DateTime().dialect_impl(conn.dialect).bind_processor(conn.dialect)  # as the ORM
    assert stored is not None
    window = {"as_of": stored(as_of), "since": None if since is None else stored(since)}
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        # bounds for the packing; each is one step down an index
        oldest = cur.execute("SELECT min(occurred_at) FROM transactions").fetchone()[0]
        top_customer = cur.execute("SELECT max(customer_id) FROM transactions").fetchone()[0]
        if oldest is None:
            return np.zeros((0, 5))
        weeks = (as_of.date() - datetime.fromisoformat(str(oldest)[:10]).date()).days // 7 + 1
        customers = int(top_customer) + 1
        if weeks * customers >= 2 ** (63 - PRODUCT_BITS):
            return None
        cur.execute(
            _SCAN,
            {
                **window,
                "day": as_of.date().isoformat(),
                "customers": customers,
                "shift": 1 << PRODUCT_BITS,
            },
        )
        parts = []
        while block := cur.fetchmany(BLOCK):
            parts.append(_sums(np.array(block, _LINE)))
    finally:
        cur.close()
    if not parts:
        return np.zeros((0, 5))
    total = _sums(np.concatenate(parts))
    total = total[total["qty"] > 0]
    key = total["key"]
    product = key & ((1 << PRODUCT_BITS) - 1)
    rest = key >> PRODUCT_BITS
    return np.column_stack(
        [rest % customers, product, rest // customers, total["qty"], total["n"]]
    ).astype(np.float64)


_LINE = np.dtype([("key", "i8"), ("qty", "f8")])
_SUM = np.dtype([("key", "i8"), ("qty", "f8"), ("n", "i8")])


def _sums(lines: np.ndarray) -> np.ndarray:
    """Quantity and line count per key (lines, or partial sums that already carry `n`)."""
    order = np.argsort(lines["key"], kind="stable")
    key, qty = lines["key"][order], lines["qty"][order]
    n = lines["n"][order] if "n" in (lines.dtype.names or ()) else np.ones(len(key), np.int64)
    if not len(key):
        return np.zeros(0, _SUM)
    starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    out = np.empty(len(starts), _SUM)
    out["key"], out["qty"], out["n"] = (
        key[starts],
        np.add.reduceat(qty, starts),
        np.add.reduceat(n, starts),
    )
    return out
