"""Checking rows: each bad row gets a reason, the good ones come out typed. No database here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import numpy as np
import pandas as pd

from db.imports.report import Rejection

MAX_ID_LENGTH = 128
MAX_NAME_LENGTH = 256


class _Checks:
    """Accumulates reasons per row of a chunk, vectorised."""

    def __init__(self, chunk: pd.DataFrame) -> None:
        self.chunk = chunk
        self.bad = np.zeros(len(chunk), dtype=bool)
        self.reasons: dict[int, list[str]] = {}

    def flag(self, mask: np.ndarray | pd.Series, reason: Callable[[int], str]) -> None:
        mask = np.asarray(mask, dtype=bool)
        for position in np.flatnonzero(mask):
            self.reasons.setdefault(int(position), []).append(reason(int(position)))
        self.bad |= mask

    def rejections(self) -> list[Rejection]:
        lines = self.chunk["_line"].to_numpy()
        return [Rejection(int(lines[i]), "; ".join(r)) for i, r in sorted(self.reasons.items())]


def _value(chunk: pd.DataFrame, column: str) -> Callable[[int], str]:
    values = chunk[column].to_numpy()
    return lambda i: _shorten(values[i])


def _shorten(value: object, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Column:
    """A chunk's column factorised once, so checks and conversions run on its distinct values
    only: ids, quantities and dates repeat a lot, and per-value string work is what is slow."""

    def __init__(self, values: pd.Series) -> None:
        self.codes, uniques = pd.factorize(values.to_numpy(dtype=object))
        self.distinct = pd.Series(uniques, dtype=object)
        self.missing = self.codes < 0

    def spread(self, per_distinct: pd.Series | np.ndarray, fill: object) -> np.ndarray:
        """Values computed per distinct value, laid out per row (`fill` where the cell is empty)."""
        per_distinct = np.asarray(per_distinct)
        if len(per_distinct) == 0:
            return np.full(len(self.codes), fill, dtype=per_distinct.dtype)
        out = per_distinct[np.maximum(self.codes, 0)]
        out[self.missing] = fill
        return out


def validate_transactions(
    chunk: pd.DataFrame, now: datetime, future_tolerance: timedelta, date_format: str | None
) -> tuple[pd.DataFrame, list[Rejection]]:
    """Split a chunk into clean typed rows and rejections with reasons."""
    checks = _Checks(chunk)
    ids = {}
    for column in ("customer_id", "product_id"):
        values = _Column(chunk[column])
        stripped = values.distinct.str.strip()
        ids[column] = values.spread(stripped.where(stripped != "", None), None)
        checks.flag(pd.isna(ids[column]), lambda _i, c=column: f"missing {c}")
        too_long = values.spread(stripped.str.len() > MAX_ID_LENGTH, False)
        checks.flag(too_long, lambda _i, c=column: f"{c} longer than {MAX_ID_LENGTH} characters")

    quantity_column = _Column(chunk["quantity"])
    quantity = quantity_column.spread(_numbers(quantity_column.distinct), np.nan)
    checks.flag(quantity_column.missing, lambda _i: "missing quantity")
    quantity_text = _value(chunk, "quantity")
    checks.flag(
        ~quantity_column.missing & ~np.isfinite(quantity),
        lambda i: f"quantity {quantity_text(i)!r} is not a number",
    )
    checks.flag(quantity == 0, lambda _i: "quantity is zero")

    amount = np.full(len(chunk), np.nan)
    if "amount" in chunk:
        amount_column = _Column(chunk["amount"])
        amount = amount_column.spread(_numbers(amount_column.distinct), np.nan)
        amount_text = _value(chunk, "amount")
        checks.flag(
            ~amount_column.missing & ~np.isfinite(amount),
            lambda i: f"amount {amount_text(i)!r} is not a number",
        )

    date_column = _Column(chunk["occurred_at"])
    occurred = date_column.spread(
        _parse_dates(date_column.distinct, date_format), np.datetime64("NaT")
    )
    checks.flag(date_column.missing, lambda _i: "missing occurred_at")
    date_text = _value(chunk, "occurred_at")
    checks.flag(
        ~date_column.missing & np.isnat(occurred), lambda i: f"unparseable date {date_text(i)!r}"
    )
    latest = np.datetime64(now + future_tolerance, "us")
    checks.flag(occurred > latest, lambda i: f"date {date_text(i)!r} is in the future")

    good = ~checks.bad
    clean = pd.DataFrame(
        {
            "customer_id": ids["customer_id"][good],
            "product_id": ids["product_id"][good],
            "quantity": quantity[good],
            "amount": amount[good],
            "occurred_at": occurred[good],
        }
    )
    for column in ("customer_name", "product_name"):
        if column in chunk:
            names = _Column(chunk[column])
            clean[column] = names.spread(
                names.distinct.str.strip().str.slice(0, MAX_NAME_LENGTH), None
            )[good]
    return clean, checks.rejections()


def _numbers(texts: pd.Series) -> np.ndarray:
    return pd.to_numeric(texts.str.strip(), errors="coerce").to_numpy(dtype=float)


def _parse_dates(texts: pd.Series, date_format: str | None) -> np.ndarray:
    parsed = pd.to_datetime(
        texts.str.strip(), errors="coerce", utc=True, format=date_format or "ISO8601"
    )
    return parsed.dt.tz_convert(None).dt.as_unit("us").to_numpy()


def check_master_row(row: dict, id_column: str) -> str | None:
    """Why a customer or product row is invalid, or None."""
    return _check_id(row.get(id_column), id_column) or (
        f"name longer than {MAX_NAME_LENGTH} characters"
        if len(row.get("name") or "") > MAX_NAME_LENGTH
        else None
    )


def _check_id(value: str | None, column: str) -> str | None:
    if not value:
        return f"missing {column}"
    if len(value) > MAX_ID_LENGTH:
        return f"{column} longer than {MAX_ID_LENGTH} characters"
    return None


def check_rep_row(row: dict) -> str | None:
    """Why a sales rep row is invalid, or None. Whether its customer ids exist needs the database:
    see upsert.drop_unknown_customers."""
    email = row.get("email") or ""
    if "@" not in email or len(email) > 256:
        return f"email {email[:40]!r} is not an email address"
    if not row.get("name"):
        return "missing name"
    zone = row.get("time_zone")
    if zone and not _valid_zone(zone):
        return f"time zone {zone[:40]!r} is unknown (use an IANA name such as Europe/Berlin)"
    return None


def _valid_zone(zone: str) -> bool:
    if zone not in available_timezones():
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            return False
    return True
