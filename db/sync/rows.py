"""A chunk of a source's transaction rows, made ready for the import's checks.

Database drivers give ints, Decimals, datetimes and bytes; the checks of `recbot import` read
text. Each column is turned into text once per distinct value (ids, quantities and dates repeat),
so the same rules and messages apply to a synced row as to a line of a CSV file. Quantities,
amounts and dates that Arrow can read as numbers and times (the reader processes' columns, or a
driver's raw text) go to the checks typed, which apply the same range rules without parsing
text again. Ids, names and line ids that come as Arrow stay Arrow text: the checks factorise ids
and names in Arrow, and a chunk's line ids that are all plain (printable ASCII, nothing to strip)
reach the writer as they came; other line ids become Python text for the checks. A row is named
by its line id (or, without one, by its position in the result).

Cancelled lines (a true `cancelled` column, or a quantity of zero) are set apart: they are not
purchases to check but line ids whose earlier rows are to be removed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.errors import RecbotError
from db.imports.check import TRANSACTION_LENGTHS, control_character, plain_text
from db.imports.report import Rejection

REQUIRED = ("line_id", "customer_id", "product_id", "quantity", "occurred_at")
OPTIONAL = ("amount", "customer_name", "product_name", "cancelled")
_TRUE = frozenset({"1", "true", "t", "yes", "y"})
LABEL = "_label"


@dataclass
class SourceChunk:
    lines: pd.DataFrame  # text columns as the checks read them, plus LABEL
    cancelled: list[str]  # line ids of cancelled lines
    rejections: list[Rejection] = field(default_factory=list)  # cancelled lines without an id
    watermark: datetime | None = None  # the latest watermark among the rows


def prepare_chunk(
    by_column: Mapping[str, Sequence[Any]], size: int, watermark: str, first_row: int
) -> SourceChunk:
    """Text columns, labels, cancelled lines and the latest watermark of one chunk of `size`
    rows given column by column (Python values or Arrow arrays)."""
    texts = {
        column: _column(by_column[column], column)
        for column in (*REQUIRED, *OPTIONAL)
        if column in by_column and column != "cancelled"
    }
    if isinstance(texts["line_id"], pa.Array) and plain_text(texts["line_id"]):
        line_ids = labels = texts["line_id"]  # nothing to strip, none missing: names as they are
    else:
        texts["line_id"] = _objects(texts["line_id"])
        line_ids = _stripped(texts["line_id"])
        labels = line_ids.copy()
        for position in np.flatnonzero(pd.isna(line_ids)):
            labels[position] = f"row {first_row + position}"
    cancelled = _is_zero(texts["quantity"])
    if "cancelled" in by_column:
        cancelled |= _cancelled(by_column["cancelled"], size)
    # Arrow text stays in Arrow (the checks read ids and names per distinct value, plain line
    # ids not at all); other text as object, not pandas' Arrow-backed `str`: the checks read
    # those values back as Python objects.
    lines = pd.DataFrame({column: _series(values) for column, values in texts.items()})
    lines[LABEL] = _series(labels)
    chunk = SourceChunk(lines[~cancelled].reset_index(drop=True), [])
    cancelled_lines = zip(_picked(labels, cancelled), _picked(line_ids, cancelled), strict=True)
    for label, line_id in cancelled_lines:
        reason = _line_id_problem(line_id)
        if reason:
            chunk.rejections.append(Rejection(label, reason))
        else:
            chunk.cancelled.append(line_id)
    chunk.watermark = latest(by_column.get(watermark, ()), watermark)
    return chunk


def _series(values: np.ndarray | pa.Array) -> pd.Series:
    if isinstance(values, pa.Array):
        return pd.Series(pd.arrays.ArrowExtensionArray(values))
    return pd.Series(values, dtype=values.dtype)


def _objects(values: np.ndarray | pa.Array) -> np.ndarray:
    if isinstance(values, pa.Array):
        return values.to_numpy(zero_copy_only=False)
    return values


def _picked(values: np.ndarray | pa.Array, mask: np.ndarray) -> list[Any]:
    if isinstance(values, pa.Array):
        return values.filter(pa.array(mask)).to_pylist()
    return list(values[mask])


_NUMBERS = frozenset({"quantity", "amount"})
_TYPED = _NUMBERS | {"occurred_at"}


def _typed(given: Sequence[Any], column: str) -> np.ndarray | None:
    """An Arrow quantity or amount as floats (NaN where empty), an Arrow date/time as naive UTC
    datetime64 (NaT where empty): the checks take them as they are instead of parsing text.
    Text columns are converted by Arrow where every value is a plain number or an ISO date/time
    without an offset (as MySQL sends them), which it reads as the text path would. None (the
    text path, with its messages) for anything else: another type, a value Arrow cannot read,
    and numbers that are NaN or infinite."""
    if isinstance(given, pa.Array | pa.ChunkedArray):
        values: Any = given
    else:
        if column not in _TYPED or not given:
            return None
        try:  # a driver's raw text: converted by Arrow like an Arrow text column
            values = pa.array(given, type=pa.large_string())
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return None  # other Python values: the text path
    kind = values.type
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):  # a driver's raw bytes
        values = _cast(values, pa.large_string())  # checks they are UTF-8
        if values is None:
            return None
        kind = values.type
    text = pa.types.is_string(kind) or pa.types.is_large_string(kind)
    if column in _NUMBERS and (
        text or pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)
    ):
        numbers = _cast(values, pa.float64())
        if numbers is None or pc.all(pc.is_finite(numbers)).as_py() is False:
            return None
        return numbers.to_numpy(zero_copy_only=False).astype(float, copy=False)
    if column == "occurred_at" and (text or pa.types.is_timestamp(kind) or pa.types.is_date(kind)):
        if pa.types.is_timestamp(kind) and kind.tz is not None:
            times = _cast(values, pa.timestamp(kind.unit))  # the same instant, as UTC
        elif text:
            times = _cast(values, pa.timestamp("us"))
        else:
            times = values
        if times is None:
            return None
        return times.to_numpy(zero_copy_only=False).astype("datetime64[us]")
    return None


def _cast(values: Any, kind: pa.DataType) -> Any:
    try:
        return pc.cast(values, kind)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _column(values: Sequence[Any], column: str) -> np.ndarray | pa.Array:
    """Typed numbers and times where Arrow reads them as the text path would; ids and names
    from Arrow as Arrow text (UTF-8); anything else as Python text."""
    typed = _typed(values, column)
    if typed is not None:
        return typed
    if column not in _TYPED and isinstance(values, pa.Array | pa.ChunkedArray):
        text = _arrow_strings(values)
        if text is not None:
            return text
    return as_text(values)


def as_text(values: Sequence[Any]) -> np.ndarray:
    """Each value as the text a CSV file would hold (None stays None), once per distinct value.

    Text as it comes (a driver's raw text) is taken as it is, and mostly distinct bytes (line
    ids, times) are decoded one by one: hashing them to find the distinct ones costs more than
    it saves."""
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return arrow_text(values)
    array = np.empty(len(values), dtype=object)
    array[:] = values
    kind = pd.api.types.infer_dtype(array, skipna=True)
    if kind in ("string", "empty"):
        array[pd.isna(array)] = None
        return array
    if kind == "bytes" and _mostly_distinct(array):
        array[:] = [None if v is None else v.decode("utf-8", "replace") for v in array]
        return array
    codes, distinct = pd.factorize(array)
    if len(distinct) == 0:
        return np.full(len(array), None, dtype=object)
    out = np.array([_text(value) for value in distinct], dtype=object)[codes]
    out[codes < 0] = None
    return out


def arrow_text(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """An Arrow column as the text `as_text` makes of the same values, converted in Arrow's C++:
    times without a zero fraction, decimals without trailing zeros, numbers in decimal."""
    text = _arrow_strings(values)
    if text is None:  # not UTF-8: decoded value by value, as as_text does
        return as_text(values.to_pylist())
    return text.to_numpy(zero_copy_only=False)


def _arrow_strings(values: pa.Array | pa.ChunkedArray) -> pa.Array | None:
    """`arrow_text`'s text as one Arrow large_string array; None for bytes that are not UTF-8."""
    kind = values.type
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        try:
            values = pc.cast(values, pa.large_string())
        except pa.ArrowInvalid:
            return None
    elif pa.types.is_decimal(kind):
        text_ = pc.cast(values, pa.large_string())
        values = pc.replace_substring_regex(text_, r"(\.\d*?)0+$|\.0*$", r"\1")
        values = pc.replace_substring_regex(values, r"\.$", "")
    elif pa.types.is_timestamp(kind):
        text_ = pc.cast(values, pa.large_string())
        values = pc.replace_substring_regex(text_, r"\.0+(Z?)$", r"\1")
    else:
        values = pc.cast(values, pa.large_string())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return values


def _mostly_distinct(array: np.ndarray, sample: int = 1000) -> bool:
    head = array[:sample]
    return len(pd.unique(head)) > len(head) // 2


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return str(int(value))
    return str(value)


def _stripped(texts: np.ndarray) -> np.ndarray:
    out = np.array([t.strip() if isinstance(t, str) else None for t in texts], dtype=object)
    out[out == ""] = None
    return out


def _is_zero(texts: np.ndarray) -> np.ndarray:
    if texts.dtype.kind == "f":
        return texts == 0
    numbers = pd.to_numeric(pd.Series(texts, dtype=object), errors="coerce").to_numpy(dtype=float)
    return numbers == 0


def _cancelled(values: Sequence[Any], size: int) -> np.ndarray:
    if isinstance(values, pa.Array | pa.ChunkedArray) and (
        pa.types.is_integer(values.type) or pa.types.is_boolean(values.type)
    ):
        flags = pc.fill_null(pc.not_equal(pc.cast(values, pa.int64()), 0), False)
        return flags.to_numpy(zero_copy_only=False).astype(bool)
    if isinstance(values, pa.Array | pa.ChunkedArray):
        values = values.to_pylist()
    return np.fromiter((_truthy(value) for value in values), dtype=bool, count=size)


def _truthy(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bytes | bytearray):
        if all(byte < 0x20 for byte in value):  # MySQL BIT(1): one byte, 0 or 1
            return any(value)
        return _truthy(bytes(value).decode("utf-8", "replace"))  # a driver's raw text: b"1"
    if isinstance(value, str):
        return value.strip().lower() in _TRUE
    return bool(value)


def _line_id_problem(line_id: str | None) -> str | None:
    """The checks' reasons for a line id, for cancelled lines (which skip the other checks)."""
    if line_id is None:
        return "missing line_id"
    if len(line_id) > TRANSACTION_LENGTHS["line_id"]:
        return f"line_id longer than {TRANSACTION_LENGTHS['line_id']} characters"
    character = control_character(line_id)
    if character is not None:
        return f"line_id contains a control character (U+{ord(character):04X})"
    return None


def latest(values: Sequence[Any], column: str) -> datetime | None:
    """The latest of a watermark column's values (naive UTC), None when all are empty."""
    if isinstance(values, pa.Array | pa.ChunkedArray):
        if pa.types.is_binary(values.type) or pa.types.is_large_binary(values.type):
            values = values.to_pylist()
        else:
            highest = pc.max(values).as_py()
            return None if highest is None else moment(highest)
    present = [value for value in values if value is not None]
    if not present:
        return None
    try:
        return moment(max(present))
    except TypeError:
        raise RecbotError(
            f"the watermark column {column} mixes kinds of values; it must be a date/time"
        ) from None


def moment(value: Any) -> datetime:
    """A watermark value as a naive UTC datetime (how the store keeps times)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, bytes):  # a driver's raw text
        return moment(value.decode("ascii", "replace"))
    if isinstance(value, str):
        try:
            return moment(datetime.fromisoformat(value.strip()))
        except ValueError:
            pass
    raise RecbotError(
        f"the watermark column holds {type(value).__name__} values such as {str(value)[:40]!r}; "
        "it must be a date/time (or ISO 8601 text)"
    )
