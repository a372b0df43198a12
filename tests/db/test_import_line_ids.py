"""CSV imports with a line_id column: overlapping exports replace rows instead of doubling them.
On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from db.imports import ImportRejected, import_transactions
from db.models import Customer, Product, Transaction

NOW = datetime(2026, 11, 27, 12, 0)
HEADER = "line_id,customer_id,product_id,quantity,occurred_at,amount\n"
WEEK_1 = HEADER + "L1,C1,P1,2,2026-01-05,10\nL2,C1,P2,1,2026-01-06,\nL3,C2,P1,5,2026-01-07,25\n"
# The next export overlaps: L3 again with a corrected quantity, L2 unchanged, L4 new.
WEEK_2 = HEADER + "L2,C1,P2,1,2026-01-06,\nL3,C2,P1,4,2026-01-07,20\nL4,C2,P2,1,2026-01-12,3\n"


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def lines(engine: Engine) -> dict[tuple[str | None, str | None], tuple]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Transaction.source,
                Transaction.line_id,
                Customer.external_id,
                Product.external_id,
                Transaction.quantity,
                Transaction.amount,
                Transaction.occurred_at,
            )
            .join(Customer, Customer.id == Transaction.customer_id)
            .join(Product, Product.id == Transaction.product_id)
        ).all()
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def test_overlapping_exports_of_one_source_replace_lines(engine: Engine, tmp_path: Path) -> None:
    first = import_transactions(engine, write(tmp_path, "w1.csv", WEEK_1), now=NOW, source="shop")
    assert (first.rows_imported, first.rows_updated, first.rows_unchanged) == (3, 0, 0)

    second = import_transactions(engine, write(tmp_path, "w2.csv", WEEK_2), now=NOW, source="shop")

    assert (second.rows_read, second.rows_updated, second.rows_unchanged) == (3, 1, 1)
    assert lines(engine) == {
        ("shop", "L1"): ("C1", "P1", 2.0, 10.0, datetime(2026, 1, 5)),
        ("shop", "L2"): ("C1", "P2", 1.0, None, datetime(2026, 1, 6)),
        ("shop", "L3"): ("C2", "P1", 4.0, 20.0, datetime(2026, 1, 7)),
        ("shop", "L4"): ("C2", "P2", 1.0, 3.0, datetime(2026, 1, 12)),
    }


def test_the_source_defaults_to_the_file_name(engine: Engine, tmp_path: Path) -> None:
    import_transactions(engine, write(tmp_path, "orders.csv", WEEK_1), now=NOW)
    # The same file name with corrected content: the same source, so lines are replaced.
    report = import_transactions(engine, write(tmp_path, "orders.csv", WEEK_2), now=NOW)

    assert report.rows_updated == 1
    assert set(lines(engine)) == {("csv:orders.csv", f"L{i}") for i in (1, 2, 3, 4)}


def test_a_line_twice_in_one_file_keeps_the_last(engine: Engine, tmp_path: Path) -> None:
    content = HEADER + "L1,C1,P1,2,2026-01-05,\nL1,C1,P1,7,2026-01-05,\n"
    import_transactions(engine, write(tmp_path, "dup.csv", content), now=NOW, source="s")

    assert lines(engine) == {("s", "L1"): ("C1", "P1", 7.0, None, datetime(2026, 1, 5))}


def test_lines_without_line_id_or_too_long_are_rejected_with_their_line(
    engine: Engine, tmp_path: Path
) -> None:
    content = (
        HEADER + f"L1,C1,P1,2,2026-01-05,\n,C1,P1,2,2026-01-05,\n{'x' * 129},C1,P1,1,2026-01-05,\n"
    )
    with pytest.raises(ImportRejected) as caught:
        import_transactions(engine, write(tmp_path, "bad.csv", content), now=NOW)

    assert {(r.line, r.reason) for r in caught.value.report.rejections} == {
        (3, "missing line_id"),
        (4, "line_id longer than 128 characters"),
    }
    assert lines(engine) == {}


def test_files_without_line_id_still_add_rows_with_no_key(engine: Engine, tmp_path: Path) -> None:
    plain = "customer_id,product_id,quantity,occurred_at\nC1,P1,2,2026-01-05\n"
    import_transactions(engine, write(tmp_path, "a.csv", plain), now=NOW)
    import_transactions(engine, write(tmp_path, "b.csv", plain + "C1,P1,1,2026-01-06\n"), now=NOW)

    with engine.connect() as conn:
        keys = conn.execute(select(Transaction.source, Transaction.line_id)).all()
    assert [tuple(k) for k in keys] == [(None, None)] * 3
