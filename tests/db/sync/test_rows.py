"""A source's values as the import's checks read them: the text a CSV file would hold, whatever
the driver gives (text, raw bytes, or typed values)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pytest

from core.errors import RecbotError
from db.imports.check import plain_text, validate_transactions
from db.sync.rows import LABEL, REQUIRED, as_text, moment, prepare_chunk

NOW = datetime(2026, 6, 1)


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
    by_column = dict(zip(columns, zip(*rows, strict=True), strict=True))

    chunk = prepare_chunk(by_column, len(rows), "updated_at", 1)

    assert chunk.cancelled == ["L1", "L3", "L4", "L7"]
    assert chunk.lines["line_id"].tolist() == ["L0", "L2", "L5", "L6", "L8"]


def test_arrow_columns_become_the_same_text_as_python_values() -> None:
    decimals = [Decimal("2.500"), Decimal("-0.5"), Decimal("10"), Decimal("16.32"), None]
    times = [datetime(2026, 1, 5, 10, 30), datetime(2026, 1, 5, 10, 30, 0, 1500), None]

    assert as_text(pa.array(decimals, pa.decimal128(38, 10))).tolist() == [
        "2.5",
        "-0.5",
        "10",
        "16.32",
        None,
    ]
    assert as_text(pa.array(times)).tolist() == as_text(times).tolist()
    assert as_text(pa.array([3, None, -7])).tolist() == ["3", None, "-7"]
    assert as_text(pa.array([date(2026, 1, 6)])).tolist() == ["2026-01-06"]
    assert as_text(pa.array(["L1", None, " L2 "])).tolist() == ["L1", None, " L2 "]
    assert as_text(pa.array([b"caf\xc3\xa9", b"\xff"], pa.large_binary())).tolist() == [
        "café",
        "\ufffd",
    ]


def test_an_arrow_chunk_gives_the_same_lines_as_python_rows() -> None:
    flags = [0, 1, None, 0]
    rows = [
        (f"L{n}", f"C{n}", "P1", Decimal("2.000"), datetime(2026, 1, 5, 10, n), flag)
        for n, flag in enumerate(flags)
    ]
    columns = [*REQUIRED, "cancelled"]
    python = dict(zip(columns, zip(*rows, strict=True), strict=True))
    python["updated_at"] = python["occurred_at"]
    arrow = {
        "line_id": pa.array(python["line_id"]),
        "customer_id": pa.array(python["customer_id"]),
        "product_id": pa.array(python["product_id"]),
        "quantity": pa.array(python["quantity"], pa.decimal128(38, 10)),
        "occurred_at": pa.array(python["occurred_at"]),
        "cancelled": pa.array(flags, pa.int32()),
        "updated_at": pa.array(python["occurred_at"]),
    }

    from_python = prepare_chunk(python, len(rows), "updated_at", 1)
    from_arrow = prepare_chunk(arrow, len(rows), "updated_at", 1)

    assert from_arrow.cancelled == from_python.cancelled == ["L1"]
    assert from_arrow.watermark == from_python.watermark == datetime(2026, 1, 5, 10, 3)
    assert from_arrow.lines["quantity"].tolist() == [2.0] * 3  # typed: not parsed again
    checked = [
        validate_transactions(chunk.lines, NOW, timedelta(days=1), None, label=LABEL)
        for chunk in (from_python, from_arrow)
    ]
    # the same values; plain Arrow line ids stay in Arrow on their way to the writer
    pd.testing.assert_frame_equal(checked[0][0], checked[1][0], check_dtype=False)
    assert isinstance(checked[1][0]["line_id"].dtype, pd.ArrowDtype)
    assert checked[0][0]["occurred_at"].tolist()[-1] == pd.Timestamp(2026, 1, 5, 10, 3)


@pytest.mark.parametrize(
    ("values", "plain"),
    [
        (["L1", "a b", "~!"], True),
        ([], True),
        (["L1", None], False),
        (["L1", ""], False),
        ([" L1"], False),
        (["L1 "], False),
        (["L\t1"], False),
        (["L\x001"], False),
        (["L\x7f"], False),
        (["café"], False),
    ],
)
def test_plain_text_is_what_the_checks_leave_as_it_is(values: list, plain: bool) -> None:
    assert plain_text(pa.array(values, pa.large_string())) is plain


def test_arrow_line_ids_that_are_not_plain_get_the_python_checks_and_messages() -> None:
    line_ids = ["L1", " L2 ", None, "L\u202e4", "é5", "  ", "L" * 129]
    rows = {
        "line_id": line_ids,
        "customer_id": [" C1", "C1", None, "C\x002", "C3", "C4", "C5"],
        "product_id": ["P1"] * 7,
        "quantity": [1.0] * 7,
        "occurred_at": [datetime(2026, 1, 5)] * 7,
        "updated_at": [datetime(2026, 1, 5)] * 7,
    }
    arrow = {column: pa.array(values) for column, values in rows.items()}
    arrow["line_id"] = pa.array([None if v is None else v.encode() for v in line_ids], pa.binary())
    results = [
        validate_transactions(chunk.lines, NOW, timedelta(days=1), None, label=LABEL)
        for chunk in (
            prepare_chunk(rows, 7, "updated_at", 1),
            prepare_chunk(arrow, 7, "updated_at", 1),
        )
    ]
    (python_clean, python_rejected), (arrow_clean, arrow_rejected) = results
    pd.testing.assert_frame_equal(python_clean, arrow_clean)
    assert arrow_clean["line_id"].tolist() == ["L1", "L2", "é5"]
    assert arrow_rejected == python_rejected
    assert [r.line for r in arrow_rejected] == ["row 3", "L\u202e4", "row 6", "L" * 129]
    assert "missing line_id" in arrow_rejected[0].reason
    assert "missing customer_id" in arrow_rejected[0].reason
    assert "control character (U+202E)" in arrow_rejected[1].reason
    assert "line_id longer than 128 characters" in arrow_rejected[3].reason


def test_plain_line_ids_too_long_are_rejected_by_their_length() -> None:
    lines = {
        "line_id": pa.array(["L1", "L" * 128, "L" * 129]),
        "customer_id": pa.array(["C1"] * 3),
        "product_id": pa.array(["P1"] * 3),
        "quantity": pa.array([1.0] * 3),
        "occurred_at": pa.array([datetime(2026, 1, 5)] * 3),
        "updated_at": pa.array([datetime(2026, 1, 5)] * 3),
    }
    chunk = prepare_chunk(lines, 3, "updated_at", 1)
    clean, rejected = validate_transactions(chunk.lines, NOW, timedelta(days=1), None, LABEL)
    assert clean["line_id"].tolist() == ["L1", "L" * 128]
    assert [(r.line, r.reason) for r in rejected] == [
        ("L" * 129, "line_id longer than 128 characters")
    ]


def test_typed_arrow_values_are_checked_with_the_import_rules_and_messages() -> None:
    lines = {
        "line_id": pa.array(["L1", "L2", "L3", "L4"]),
        "customer_id": pa.array(["C1"] * 4),
        "product_id": pa.array(["P1"] * 4),
        "quantity": pa.array([2.0, None, 2e9, 1.0]),
        "occurred_at": pa.array(
            [datetime(2026, 1, 5), datetime(2026, 1, 5), None, datetime(2031, 1, 1, 8)]
        ),
        "updated_at": pa.array([datetime(2026, 1, 5)] * 4),
    }
    chunk = prepare_chunk(lines, 4, "updated_at", 1)

    clean, rejected = validate_transactions(chunk.lines, NOW, timedelta(days=1), None, LABEL)

    assert clean["quantity"].tolist() == [2.0]
    assert [(r.line, r.reason) for r in rejected] == [
        ("L2", "missing quantity"),
        (
            "L3",
            "quantity '2000000000.0' is out of range (more than 1,000,000,000 either way); "
            "missing occurred_at",
        ),
        ("L4", "date '2031-01-01 08:00:00' is in the future"),
    ]


def test_floats_that_are_not_numbers_keep_the_text_message() -> None:
    lines = {
        "line_id": pa.array(["L1"]),
        "customer_id": pa.array(["C1"]),
        "product_id": pa.array(["P1"]),
        "quantity": pa.array([float("nan")]),
        "occurred_at": pa.array([datetime(2026, 1, 5)]),
        "updated_at": pa.array([datetime(2026, 1, 5)]),
    }
    chunk = prepare_chunk(lines, 1, "updated_at", 1)

    _, rejected = validate_transactions(chunk.lines, NOW, timedelta(days=1), None, LABEL)

    assert [r.reason for r in rejected] == ["quantity 'nan' is not a number"]
