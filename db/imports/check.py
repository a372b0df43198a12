"""Checking rows: each bad row gets a reason, the good ones come out typed. No database here."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.env import user_ids_value
from core.errors import RecbotError
from db.imports.report import Label, Rejection
from db.models import Base, Customer, Product, SalesRep, Transaction


def column_length(model: type[Base], column: str) -> int:
    """The size of one of `model`'s String columns, so the checks follow the schema."""
    length = getattr(model.__table__.c[column].type, "length", None)
    if not isinstance(length, int):
        raise TypeError(f"{model.__name__}.{column} is not a sized String column")
    return length


# File column -> its size in the database, per kind of file.
TRANSACTION_LENGTHS = {
    "customer_id": column_length(Customer, "external_id"),
    "product_id": column_length(Product, "external_id"),
    "customer_name": column_length(Customer, "name"),
    "product_name": column_length(Product, "name"),
    "line_id": column_length(Transaction, "line_id"),
}
MASTER_LENGTHS = {
    "customer_id": {
        "customer_id": column_length(Customer, "external_id"),
        "name": column_length(Customer, "name"),
        "segment": column_length(Customer, "segment"),
        "region": column_length(Customer, "region"),
    },
    "product_id": {
        "product_id": column_length(Product, "external_id"),
        "name": column_length(Product, "name"),
        "category": column_length(Product, "category"),
    },
}
REP_LENGTHS = {
    "email": column_length(SalesRep, "email"),
    "name": column_length(SalesRep, "name"),
    "slack_user_id": column_length(SalesRep, "slack_user_id"),
    "time_zone": column_length(SalesRep, "time_zone"),
}
EARLIEST_DATE = datetime(1970, 1, 1)
# Far beyond any real purchase line, yet small enough that sums over millions of rows stay
# meaningful in the 8-byte float (double precision) columns.
MAX_QUANTITY = 1e9
MAX_AMOUNT = 1e12
# Zero-width non-joiner and joiner: needed to write some languages (Persian, Indic scripts) and
# emoji sequences, so names and labels may have them; ids may not.
TEXT_JOINERS = frozenset("\u200c\u200d")
_TEXT_COLUMNS = frozenset({"name", "segment", "region", "category"})


class _Checks:
    """Accumulates reasons per row of a chunk, vectorised. Each rejection is named by the
    chunk's `label` column: the file's line number, or the source's line id for a sync."""

    def __init__(self, chunk: pd.DataFrame, label: str) -> None:
        self.chunk = chunk
        self.label = label
        self.bad = np.zeros(len(chunk), dtype=bool)
        self.reasons: dict[int, list[str]] = {}

    def flag(self, mask: np.ndarray | pd.Series, reason: Callable[[int], str]) -> None:
        mask = np.asarray(mask, dtype=bool)
        for position in np.flatnonzero(mask):
            self.reasons.setdefault(int(position), []).append(reason(int(position)))
        self.bad |= mask

    def rejections(self) -> list[Rejection]:
        if not self.reasons:
            return []
        labels = self.chunk[self.label].tolist()
        return [Rejection(labels[i], "; ".join(r)) for i, r in sorted(self.reasons.items())]


def _value(chunk: pd.DataFrame, column: str) -> Callable[[int], str]:
    values = chunk[column].to_numpy()
    if values.dtype.kind == "M":  # a typed date/time from a sync source: shown as its text
        return lambda i: _shorten(pd.Timestamp(values[i]).isoformat(sep=" "))
    return lambda i: _shorten(values[i])


def _always(reason: str) -> Callable[[int], str]:
    return lambda _i: reason


def _shorten(value: object, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Column:
    """A chunk's column factorised once, so checks and conversions run on its distinct values
    only: ids, quantities and dates repeat a lot, and per-value string work is what is slow.
    Line ids (`unique`: one per line) are not factorised: hashing every value to find the few
    repeats costs more than it saves, so `distinct` is then every present value. An Arrow-backed
    column is factorised by Arrow; Arrow line ids that are `plain_text` are kept as they are
    (`plain`): the checks would leave every one of them unchanged."""

    def __init__(self, values: pd.Series, unique: bool = False) -> None:
        self.plain: pa.Array | None = None
        arrow = _arrow_of(values)
        if arrow is not None and unique and plain_text(arrow):
            self.plain = arrow
            return
        if arrow is not None and not unique:
            encoded = pc.dictionary_encode(arrow)
            self.codes = pc.fill_null(encoded.indices, -1).to_numpy().astype(np.intp)
            self.missing = self.codes < 0
            self.distinct = pd.Series(encoded.dictionary.to_pylist(), dtype=object)
            return
        array = values.to_numpy(dtype=object, na_value=None)
        if unique:
            self.missing = np.asarray(pd.isna(array), dtype=bool)
            self.codes = np.full(len(array), -1, dtype=np.intp)
            self.codes[~self.missing] = np.arange(len(array) - int(self.missing.sum()))
            uniques = array[~self.missing]
        else:
            self.codes, uniques = pd.factorize(array)
            self.missing = self.codes < 0
        self.distinct = pd.Series(uniques, dtype=object)

    def spread(self, per_distinct: pd.Series | np.ndarray, fill: object) -> np.ndarray:
        """Values computed per distinct value, laid out per row (`fill` where the cell is empty)."""
        per_distinct = np.asarray(per_distinct)
        if len(per_distinct) == 0:
            return np.full(len(self.codes), fill, dtype=per_distinct.dtype)
        out = per_distinct[np.maximum(self.codes, 0)]
        out[self.missing] = fill
        return out


def validate_transactions(
    chunk: pd.DataFrame,
    now: datetime,
    future_tolerance: timedelta,
    date_format: str | None,
    label: str = "_line",
) -> tuple[pd.DataFrame, list[Rejection]]:
    """Split a chunk into clean typed rows and rejections with reasons, each rejection named by
    the `label` column. A `line_id` column, where the chunk has one, is checked like the ids."""
    checks = _Checks(chunk, label)
    ids = {}
    for column in ("customer_id", "product_id", *(("line_id",) if "line_id" in chunk else ())):
        values = _Column(chunk[column], unique=column == "line_id")
        limit = TRANSACTION_LENGTHS[column]
        if values.plain is not None:  # ASCII: as many characters as bytes
            ids[column] = values.plain
            too_long = pc.binary_length(values.plain).to_numpy() > limit
            checks.flag(too_long, _always(f"{column} longer than {limit} characters"))
            continue
        stripped = _strip(values.distinct)
        ids[column] = values.spread(stripped.where(stripped != "", None), None)
        checks.flag(pd.isna(ids[column]), _always(f"missing {column}"))
        too_long = values.spread(_lengths(stripped) > limit, False)
        checks.flag(too_long, _always(f"{column} longer than {limit} characters"))
        _flag_control_characters(checks, column, values, stripped, frozenset())

    quantity, quantity_missing = _number_values(chunk["quantity"])
    checks.flag(quantity_missing, lambda _i: "missing quantity")
    quantity_text = _value(chunk, "quantity")
    checks.flag(
        ~quantity_missing & ~np.isfinite(quantity),
        lambda i: f"quantity {quantity_text(i)!r} is not a number",
    )
    checks.flag(quantity == 0, lambda _i: "quantity is zero")
    checks.flag(
        np.isfinite(quantity) & (np.abs(quantity) > MAX_QUANTITY),
        lambda i: (
            f"quantity {quantity_text(i)!r} is out of range (more than {MAX_QUANTITY:,.0f} "
            "either way)"
        ),
    )

    amount = np.full(len(chunk), np.nan)
    if "amount" in chunk:
        amount, amount_missing = _number_values(chunk["amount"])
        amount_text = _value(chunk, "amount")
        checks.flag(
            ~amount_missing & ~np.isfinite(amount),
            lambda i: f"amount {amount_text(i)!r} is not a number",
        )
        checks.flag(
            np.isfinite(amount) & (np.abs(amount) > MAX_AMOUNT),
            lambda i: (
                f"amount {amount_text(i)!r} is out of range (more than {MAX_AMOUNT:,.0f} "
                "either way)"
            ),
        )

    occurred, date_missing = _date_values(chunk["occurred_at"], date_format)
    checks.flag(date_missing, lambda _i: "missing occurred_at")
    date_text = _value(chunk, "occurred_at")
    checks.flag(~date_missing & np.isnat(occurred), lambda i: f"unparseable date {date_text(i)!r}")
    latest = np.datetime64(now + future_tolerance, "us")
    checks.flag(occurred > latest, lambda i: f"date {date_text(i)!r} is in the future")
    earliest = np.datetime64(EARLIEST_DATE, "us")
    checks.flag(
        occurred < earliest, lambda i: f"date {date_text(i)!r} is before {EARLIEST_DATE:%Y-%m-%d}"
    )

    names: dict[str, np.ndarray] = {}
    for column in ("customer_name", "product_name"):
        if column in chunk:
            name_column = _Column(chunk[column])
            stripped = _strip(name_column.distinct)
            _flag_control_characters(checks, column, name_column, stripped, TEXT_JOINERS)
            names[column] = name_column.spread(_cut(stripped, TRANSACTION_LENGTHS[column]), None)

    good = ~checks.bad
    # Text stays as Python objects (not pandas' Arrow-backed `str`, which it would infer): the
    # writers hash and convert them from there.
    text = {"customer_id": ids["customer_id"], "product_id": ids["product_id"], **names}
    if "line_id" in ids:
        text["line_id"] = ids["line_id"]
    clean = pd.DataFrame(
        {
            **{column: _good(text[column], good) for column in text},
            "quantity": quantity[good],
            "amount": amount[good],
            "occurred_at": occurred[good],
        }
    )
    return clean, checks.rejections()


def _good(values: np.ndarray | pa.Array, good: np.ndarray) -> pd.Series:
    if isinstance(values, pa.Array):
        return pd.Series(pd.arrays.ArrowExtensionArray(values.filter(pa.array(good))))
    return pd.Series(values[good], dtype=object)


# Empty, a space at either end, or any character but printable ASCII.
_NOT_PLAIN = r"^$|^ | $|[^\x20-\x7e]"


def plain_text(values: pa.Array) -> bool:
    """Whether every value is present, non-empty printable ASCII without a space at either end:
    text that stripping and the control-character checks leave as it is."""
    if values.null_count:
        return False
    return not pc.any(pc.match_substring_regex(values, _NOT_PLAIN)).as_py()


def _arrow_of(values: pd.Series) -> pa.Array | None:
    """The Arrow text array behind an Arrow-backed column, else None."""
    if not isinstance(values.dtype, pd.ArrowDtype):
        return None
    array = pa.array(values.array)
    array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    kind = array.type
    return array if pa.types.is_string(kind) or pa.types.is_large_string(kind) else None


def _flag_control_characters(
    checks: _Checks, column: str, values: _Column, texts: pd.Series, allowed: frozenset[str]
) -> None:
    """Reject the rows whose value (one of `values.distinct`, as `texts`) has a control
    character. str.isprintable() clears nearly every value in one C call; only the others are
    looked at character by character."""
    found = np.full(len(texts), "", dtype=object)
    texts_array = texts.to_numpy(dtype=object)
    printable = np.fromiter(
        (text.isprintable() for text in texts_array), dtype=bool, count=len(texts_array)
    )
    for position in np.flatnonzero(~printable):
        found[position] = control_character(texts_array[position], allowed) or ""
    per_row = values.spread(found, "")
    checks.flag(per_row != "", lambda i: _control_reason(column, per_row[i]))


def control_character(text: str, allowed: frozenset[str] = frozenset()) -> str | None:
    """The first character of `text` in a Unicode category C* (control, format such as the
    bidirectional overrides, surrogate, private use, unassigned) and not `allowed`, or None."""
    if text.isprintable():
        return None
    return next(
        (c for c in text if c not in allowed and unicodedata.category(c).startswith("C")), None
    )


def _control_reason(column: str, character: str) -> str:
    return f"{column} contains a control character (U+{ord(character):04X})"


def _number_values(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(numbers, missing) of a column of text, or of floats (a sync source's typed numbers, NaN
    where empty)."""
    if values.dtype.kind == "f":
        numbers = values.to_numpy(dtype=float)
        return numbers, np.isnan(numbers)
    column = _Column(values)
    return column.spread(_numbers(column.distinct), np.nan), column.missing


def _date_values(values: pd.Series, date_format: str | None) -> tuple[np.ndarray, np.ndarray]:
    """(naive UTC datetime64[us], missing) of a column of text, or of datetime64 (a sync
    source's typed times, NaT where empty)."""
    if values.dtype.kind == "M":
        times = values.to_numpy().astype("datetime64[us]")
        return times, np.isnat(times)
    column = _Column(values)
    parsed = column.spread(_parse_dates(column.distinct, date_format), np.datetime64("NaT"))
    return parsed, column.missing


# Plain comprehensions over the text values: pandas' .str methods cost several times more per
# value, and on line ids every value is distinct.
def _strip(texts: pd.Series) -> pd.Series:
    return pd.Series([text.strip() for text in texts.to_numpy(dtype=object)], dtype=object)


def _lengths(texts: pd.Series) -> np.ndarray:
    return np.fromiter(map(len, texts.to_numpy(dtype=object)), dtype=np.int64, count=len(texts))


def _cut(texts: pd.Series, limit: int) -> pd.Series:
    return pd.Series([text[:limit] for text in texts.to_numpy(dtype=object)], dtype=object)


def _numbers(texts: pd.Series) -> np.ndarray:
    return pd.to_numeric(_strip(texts), errors="coerce").to_numpy(dtype=float)


def _parse_dates(texts: pd.Series, date_format: str | None) -> np.ndarray:
    parsed = pd.to_datetime(
        _strip(texts), errors="coerce", utc=True, format=date_format or "ISO8601"
    )
    return parsed.dt.tz_convert(None).dt.as_unit("us").to_numpy()


def check_master_row(row: dict, id_column: str) -> str | None:
    """Why a customer or product row is invalid, or None."""
    return (
        _check_id(row.get(id_column), id_column, MASTER_LENGTHS[id_column][id_column])
        or (None if row.get("name") else "missing name")
        or _too_long(row, MASTER_LENGTHS[id_column])
        or _control_in_row(row)
    )


def _check_id(value: str | None, column: str, limit: int) -> str | None:
    if not value:
        return f"missing {column}"
    if len(value) > limit:
        return f"{column} longer than {limit} characters"
    return None


def _too_long(row: dict, lengths: dict[str, int]) -> str | None:
    for column, limit in lengths.items():
        if len(row.get(column) or "") > limit:
            return f"{column} longer than {limit} characters"
    return None


def check_rep_row(row: dict) -> str | None:
    """Why a sales rep row is invalid, or None. Whether its customer ids exist and whether another
    rep has its Slack id need the database: see upsert.drop_unknown_customers and
    upsert.drop_taken_slack_ids; drop_shared_slack_ids compares the file's lines."""
    email = row.get("email") or ""
    if "@" not in email or len(email) > REP_LENGTHS["email"]:
        return f"email {email[:40]!r} is not an email address"
    if not row.get("name"):
        return "missing name"
    too_long = _too_long(row, REP_LENGTHS)
    if too_long:
        return too_long
    slack_user_id = row.get("slack_user_id")
    if slack_user_id and not _is_slack_user_id(slack_user_id):
        return f"slack_user_id {slack_user_id[:40]!r} is not a Slack user id (like U012ABCDEF)"
    zone = row.get("time_zone")
    if zone and not _valid_zone(zone):
        return f"time zone {zone[:40]!r} is unknown (use an IANA name such as Europe/Berlin)"
    return _control_in_row(row)


def _control_in_row(row: dict) -> str | None:
    for column, value in row.items():
        if value:
            allowed = TEXT_JOINERS if column in _TEXT_COLUMNS else frozenset()
            character = control_character(value, allowed)
            if character is not None:
                return _control_reason(column, character)
    return None


def _is_slack_user_id(value: str) -> bool:
    """The rule ADMIN_USER_IDS follows (core.env.user_ids_value), for exactly one id."""
    try:
        return user_ids_value(value) == {value}
    except RecbotError:
        return False


def drop_shared_slack_ids(
    valid: list[tuple[Label, dict]],
) -> tuple[list[tuple[Label, dict]], list[Rejection]]:
    """The rep rows whose Slack id no earlier line gives to another rep (another e-mail), and
    rejections for the others."""
    first: dict[str, tuple[Label, str]] = {}  # Slack id -> (line, e-mail) of its first line
    kept, rejections = [], []
    for line, row in valid:
        slack_user_id = row.get("slack_user_id")
        if slack_user_id:
            first_line, email = first.setdefault(slack_user_id, (line, row["email"].lower()))
            if email != row["email"].lower():
                rejections.append(
                    Rejection(
                        line,
                        f"slack_user_id {slack_user_id!r} is also on line {first_line}, "
                        "for another rep",
                    )
                )
                continue
        kept.append((line, row))
    return kept, rejections


def _valid_zone(zone: str) -> bool:
    if zone not in available_timezones():
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            return False
    return True
