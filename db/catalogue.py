"""A product's catalogue status and availability window: the checks every way of setting them
shares (`recbot import products`, the sync's products query, `recbot products set-status`),
and the one-product change. What is served follows on the next answer (db/availability.py)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, select, update

from core.errors import RecbotError
from db.models import PRODUCT_STATUSES, Product

CATALOGUE_COLUMNS = ("status", "available_from", "available_until")


def parse_status(text: str) -> str | None:
    """The status a cell means ('Out of stock', 'out-of-stock' -> out_of_stock), else None."""
    status = "_".join(text.strip().lower().replace("-", " ").split())
    return status if status in PRODUCT_STATUSES else None


def parse_day(text: str) -> date | None:
    """A date (YYYY-MM-DD; a date and time keeps its date), else None."""
    try:
        return datetime.fromisoformat(text.strip()).date()
    except ValueError:
        return None


def check_catalogue(row: dict) -> str | None:
    """Why a product row's status or availability dates are invalid, or None. Valid values are
    typed in place: status normalised ('' becomes active), dates as `date`s."""
    if "status" in row:
        status = parse_status(row["status"] or "active")
        if status is None:
            return f"status {str(row['status'])[:40]!r} is not one of {', '.join(PRODUCT_STATUSES)}"
        row["status"] = status
    for column in CATALOGUE_COLUMNS[1:]:
        text = row.get(column)
        if isinstance(text, str):
            day = parse_day(text)
            if day is None:
                return f"{column} {text[:40]!r} is not a date (use YYYY-MM-DD)"
            row[column] = day
    since, until = row.get("available_from"), row.get("available_until")
    if isinstance(since, date) and isinstance(until, date) and until < since:
        return f"available_until {until.isoformat()} is before available_from {since.isoformat()}"
    return None


def set_status(conn: Connection, external_id: str, status: str) -> str:
    """Set one product's status (by its external id); returns the one it had. An unknown
    product or status is a RecbotError."""
    wanted = parse_status(status)
    if wanted is None:
        raise RecbotError(f"status {status!r} is not one of {', '.join(PRODUCT_STATUSES)}")
    before = conn.execute(select(Product.status).where(Product.external_id == external_id)).scalar()
    if before is None:
        raise RecbotError(f"no product {external_id!r} (give its product_id, as imported)")
    conn.execute(update(Product).where(Product.external_id == external_id).values(status=wanted))
    return before
