"""A source's values as the import's checks read them: the text a CSV file would hold, whatever
the driver gives (text, raw bytes, or typed values)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from core.errors import RecbotError
from db.sync.rows import REQUIRED, as_text, moment, prepare_chunk


def test_text_comes_through_as_it_is() -> None:
    assert as_text(["L1", None, " L2 "]).tolist() == ["L1", None, " L2 "]
    assert as_text([None, None]).tolist() == [None, None]
    assert as_text([]).tolist() == []


def test_raw_bytes_are_decoded_whether_distinct_or_repeated() -> None:
    distinct = [str(n).encode() for n in range(3000)] + [None]
    repeated = [b"5.000", b"2.500", None] * 1000

    assert as_text(distinct).tolist() == [str(n) for n in range(3000)] + [None]
    assert as_text(repeated).tolist() == ["5.000", "2.500", None] * 1000
    assert as_text([b"caf\xc3\xa9", b"\xff"]).tolist() == ["café", "\ufffd"]


def test_typed_values_become_their_csv_text() -> None:
    values = [Decimal("2.500"), 3, datetime(2026, 1, 5, 10, 30), date(2026, 1, 6), True, None]

    assert as_text(values).tolist() == [
        "2.500",
        "3",
        "2026-01-05 10:30:00",
        "2026-01-06",
        "1",
        None,
    ]


def test_a_watermark_may_come_as_raw_bytes() -> None:
    assert moment(b"2026-03-01 10:00:00.250000") == datetime(2026, 3, 1, 10, 0, 0, 250000)
    with pytest.raises(RecbotError, match="must be a date/time"):
        moment(b"soon")


def test_cancelled_flags_as_raw_text_bits_or_numbers() -> None:
    flags = [b"0", b"1", b"\x00", b"\x01", "1", "no", 0, 1, None]
    rows = [
        (f"L{n}", "C1", "P1", "2", "2026-01-05 10:00:00", flag, "2026-01-05 10:00:00")
        for n, flag in enumerate(flags)
    ]
    columns = [*REQUIRED, "cancelled", "updated_at"]

    chunk = prepare_chunk(rows, columns, "updated_at", 1)

    assert chunk.cancelled == ["L1", "L3", "L4", "L7"]
    assert chunk.lines["line_id"].tolist() == ["L0", "L2", "L5", "L6", "L8"]
