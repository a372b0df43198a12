"""Writing what was shown (the `exposures` table) and which accounts are held out of digests.

An exposure is one product shown for one customer on one surface. The Slack server hands its
rows to a batching writer (bot/exposure_log.py) so an answer never waits on this insert; the
digest job writes its lines after each DM is sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Literal, TypedDict

from sqlalchemy import Connection, insert

from db.attention import Account
from db.models import Exposure
from db.serving import Served

Surface = Literal["answer", "share", "digest", "home"]
SURFACES: tuple[Surface, ...] = ("answer", "share", "digest", "home")
MODES = ("reorder", "new", "fallback", "cold")


class ExposureRow(TypedDict):
    shown_at: datetime
    customer_id: int
    product_id: int
    rank: int
    mode: str
    surface: str
    model_version_id: int | None
    slack_user_id: str | None
    rep_id: int | None
    held_out: bool


def exposure(
    shown_at: datetime,
    customer_id: int,
    product_id: int,
    rank: int,
    mode: str,
    surface: Surface,
    model_version_id: int | None,
    slack_user_id: str | None = None,
    rep_id: int | None = None,
    held_out: bool = False,
) -> ExposureRow:
    return ExposureRow(
        shown_at=shown_at,
        customer_id=customer_id,
        product_id=product_id,
        rank=rank,
        mode=mode,
        surface=surface,
        model_version_id=model_version_id,
        slack_user_id=slack_user_id,
        rep_id=rep_id,
        held_out=held_out,
    )


def of_served(
    served: Served, surface: Surface, shown_at: datetime, slack_user_id: str | None
) -> list[ExposureRow]:
    """One row per pick of an answer, ranked within its section; a cold start's picks are
    'cold', the new section's popularity fill 'fallback'."""
    rows = []
    model_id = served.model.id
    customer_id = served.customer.id
    for rank, pick in enumerate(served.reorder, 1):
        rows.append(
            exposure(
                shown_at,
                customer_id,
                pick.product_id,
                rank,
                "reorder",
                surface,
                model_id,
                slack_user_id,
            )
        )
    own = len(served.new) - served.fallback
    for rank, pick in enumerate(served.new, 1):
        mode = "cold" if served.cold_start else "fallback" if rank > own else "new"
        rows.append(
            exposure(
                shown_at,
                customer_id,
                pick.product_id,
                rank,
                mode,
                surface,
                model_id,
                slack_user_id,
            )
        )
    return rows


def of_accounts(
    accounts: Iterable[Account],
    surface: Surface,
    shown_at: datetime,
    model_version_id: int | None,
    per_account: int,
    slack_user_id: str | None = None,
    rep_id: int | None = None,
    held_out: bool = False,
    quiet_top: bool = False,
) -> list[ExposureRow]:
    """The action lines of accounts as a digest or App Home shows them (at most `per_account`
    each; `quiet_top`: an account with no action shows its top pick, as App Home does)."""
    rows = []
    for account in accounts:
        shown = [
            (a.pick.product_id, "new" if a.kind == "new" else "reorder") for a in account.actions
        ]
        if not shown and quiet_top and account.top_pick is not None:
            shown = [(account.top_pick.product_id, account.top_mode or "reorder")]
        for rank, (product_id, mode) in enumerate(shown[:per_account], 1):
            rows.append(
                exposure(
                    shown_at,
                    account.customer.id,
                    product_id,
                    rank,
                    mode,
                    surface,
                    model_version_id,
                    slack_user_id,
                    rep_id,
                    held_out,
                )
            )
    return rows


COLUMNS = tuple(ExposureRow.__annotations__)
_INSERT = f"INSERT INTO exposures ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})"


def write(conn: Connection, rows: Sequence[ExposureRow]) -> int:
    """Insert the rows in the caller's transaction: COPY on PostgreSQL, one executemany on
    SQLite (the Slack server writes thousands a second under load)."""
    if not rows:
        return 0
    values = [tuple(row[c] for c in COLUMNS) for row in rows]  # type: ignore[literal-required]
    raw: Any = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY exposures ({', '.join(COLUMNS)}) FROM STDIN") as copy,
        ):
            for value in values:
                copy.write_row(value)
    elif conn.dialect.name == "sqlite":
        stamped = [(v[0].isoformat(sep=" ", timespec="microseconds"), *v[1:]) for v in values]
        raw.executemany(_INSERT, stamped)
    else:
        conn.execute(insert(Exposure), list(rows))
    return len(rows)


def is_held_out(external_id: str, share: float, seed: str) -> bool:
    """Whether the account is in the holdout: a seeded hash of its id against the share, so the
    same accounts stay out every week and across processes (no table to keep in step)."""
    if share <= 0:
        return False
    digest = hashlib.sha256(f"{seed}\x1f{external_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def held_out_ids(accounts: Iterable[tuple[int, str]], share: float, seed: str) -> set[int]:
    """The ids of the (id, external id) accounts that are held out."""
    return {i for i, external in accounts if is_held_out(external, share, seed)}
