"""Transaction import rules, on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import os
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, inspect, select, text

from core.errors import RecbotError
from db.imports import ImportRejected, import_transactions
from db.models import Base, Customer, Product, Transaction
from tests.db.broken_inputs import BROKEN, broken_file

NOW = datetime(2026, 11, 27, 12, 0)
GOOD = """customer_id,product_id,quantity,occurred_at,customer_name,product_name,amount
C1,P1,2,2026-01-05,Acme Foods,Coffee beans,10.5
C1,P2,1,2026-01-05T08:30:00,Acme Foods,Filters,
C2,P1,3.5,2026-02-01 10:00:00+01:00,Bluebird Inn,Coffee beans,20
C2,P1,-1,2026-02-03,Bluebird Inn,Coffee beans,-5
"""


def write(tmp_path: Path, content: str, name: str = "tx.csv") -> Path:
    path = tmp_path / name
    if name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def table_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.scalar(select(func.count()).select_from(t))
            for t in Base.metadata.sorted_tables
        }


def test_valid_file_creates_customers_products_and_rows(engine: Engine, tmp_path: Path) -> None:
    report = import_transactions(engine, write(tmp_path, GOOD), now=NOW)

    assert (report.rows_read, report.rows_imported, report.rows_rejected) == (4, 4, 0)
    assert (report.customers_created, report.products_created) == (2, 2)
    with engine.connect() as conn:
        names = dict(conn.execute(select(Customer.external_id, Customer.name)).all())
        assert names == {"C1": "Acme Foods", "C2": "Bluebird Inn"}
        assert conn.scalar(select(Product.name).where(Product.external_id == "P2")) == "Filters"
        rows = conn.execute(
            select(
                Customer.external_id,
                Transaction.quantity,
                Transaction.amount,
                Transaction.occurred_at,
            )
            .join(Customer, Customer.id == Transaction.customer_id)
            .order_by(Transaction.occurred_at, Transaction.quantity)
        ).all()
    assert rows[0] == ("C1", 2.0, 10.5, datetime(2026, 1, 5))
    assert rows[1] == ("C1", 1.0, None, datetime(2026, 1, 5, 8, 30))  # no amount stays NULL
    assert rows[2] == ("C2", 3.5, 20.0, datetime(2026, 2, 1, 9, 0))  # offset converted to UTC
    assert rows[3][1] == -1.0  # a return is kept and reduces the pair's total


def test_malformed_file_writes_nothing_and_reports_every_bad_line(
    engine: Engine, tmp_path: Path
) -> None:
    import_transactions(engine, write(tmp_path, GOOD, "first.csv"), now=NOW)
    before = table_counts(engine)
    bad = write(
        tmp_path,
        """customer_id,product_id,quantity,occurred_at,amount
C9,P9,2,2026-01-05,1
C9,,2,2026-01-05,

C9,P9,abc,2026-01-06,
C9,P9,0,2026-01-07,
C9,P9,1,last tuesday,
C9,P9,3,2031-01-01,x
""",
    )
    with pytest.raises(ImportRejected) as caught:
        import_transactions(engine, bad, now=NOW)

    reasons = {r.line: r.reason for r in caught.value.report.rejections}
    assert reasons == {
        3: "missing product_id",
        5: "quantity 'abc' is not a number",  # line 4 is blank and skipped, numbering holds
        6: "quantity is zero",
        7: "unparseable date 'last tuesday'",
        8: "amount 'x' is not a number; date '2031-01-01' is in the future",
    }
    assert "nothing was imported" in str(caught.value)
    assert table_counts(engine) == before  # not even the new customer C9 or a batch row


def test_skip_invalid_imports_good_rows_and_writes_rejects(engine: Engine, tmp_path: Path) -> None:
    bad = write(
        tmp_path,
        "customer_id,product_id,quantity,occurred_at\nC1,P1,2,2026-01-05\n"
        "C1,P1,zero,2026-01-05\nC2,P2,1,2026-01-06\n",
    )
    rejects = tmp_path / "rejects.csv"

    report = import_transactions(engine, bad, skip_invalid=True, rejects_path=rejects, now=NOW)

    assert (report.rows_imported, report.rows_rejected) == (2, 1)
    assert rejects.read_text().splitlines() == ["line,reason", "3,quantity 'zero' is not a number"]
    assert table_counts(engine)["transactions"] == 2


def test_same_file_twice_adds_nothing(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    first = import_transactions(engine, path, now=NOW)
    after_first = table_counts(engine)

    second = import_transactions(engine, path, now=NOW)

    assert second.already_imported_at is not None
    assert second.batch_id == first.batch_id
    assert second.rows_imported == 0
    assert table_counts(engine) == after_first


def test_column_map_and_gzip(engine: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "InvoiceDate,CustomerID,StockCode,Quantity,Country\n"
        "2026-03-01,17850,85123A,6,United Kingdom\n",
        "retail.csv.gz",
    )

    report = import_transactions(
        engine,
        path,
        column_map={
            "CustomerID": "customer_id",
            "StockCode": "product_id",
            "Quantity": "quantity",
            "InvoiceDate": "occurred_at",
        },
        now=NOW,
    )

    assert report.rows_imported == 1
    with engine.connect() as conn:
        assert conn.execute(select(Customer.external_id, Customer.name)).one() == ("17850", "17850")


def test_custom_date_format(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "customer_id,product_id,quantity,occurred_at\nC1,P1,1,12/1/2025 8:26\n")

    import_transactions(engine, path, date_format="%m/%d/%Y %H:%M", now=NOW)

    with engine.connect() as conn:
        assert conn.scalar(select(Transaction.occurred_at)) == datetime(2025, 12, 1, 8, 26)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("customer,product_id,quantity,occurred_at\n", r"missing column\(s\) customer_id"),
        ("", "the file is empty"),
        (
            "customer_id,product_id,quantity,occurred_at\nC1,P1,1,2026-01-01,extra,cols\n",
            "malformed CSV",
        ),
    ],
)
def test_unusable_files_get_one_clear_error(
    engine: Engine, tmp_path: Path, content: str, message: str
) -> None:
    with pytest.raises(RecbotError, match=message):
        import_transactions(engine, write(tmp_path, content), now=NOW)
    assert table_counts(engine)["import_batches"] == 0


def test_stored_times_compare_exactly_with_bound_datetimes(engine: Engine, tmp_path: Path) -> None:
    """A row at exactly the cut-off must not count as before it (string storage on SQLite)."""
    import_transactions(
        engine,
        write(
            tmp_path, "customer_id,product_id,quantity,occurred_at\nC1,P1,1,2026-10-01 00:00:00\n"
        ),
        now=NOW,
    )
    with engine.connect() as conn:
        before = conn.scalar(
            select(func.count())
            .select_from(Transaction)
            .where(Transaction.occurred_at < datetime(2026, 10, 1))
        )
        at = conn.scalar(
            select(func.count())
            .select_from(Transaction)
            .where(Transaction.occurred_at == datetime(2026, 10, 1))
        )
    assert (before, at) == (0, 1)


def test_chunked_import_matches_single_chunk(engine: Engine, tmp_path: Path) -> None:
    lines = ["customer_id,product_id,quantity,occurred_at"]
    lines += [f"C{i % 7},P{i % 11},{1 + i % 3},2026-01-{1 + i % 28:02d}" for i in range(500)]
    report = import_transactions(
        engine, write(tmp_path, "\n".join(lines) + "\n"), chunk_rows=37, now=NOW
    )

    assert report.rows_imported == 500
    with engine.connect() as conn:
        total = conn.scalar(text("SELECT SUM(quantity) FROM transactions"))
        customers = conn.scalar(select(func.count()).select_from(Customer))
    assert total == sum(1 + i % 3 for i in range(500))
    assert customers == 7


# --- The rejects file never overwrites the input, and only appears when the import commits ------


def _link(kind: str, target: Path, link: Path) -> None:
    if kind == "symlink":
        link.symlink_to(target)
    else:
        os.link(target, link)


@pytest.mark.parametrize("kind", ["same path", "relative path", "symlink", "hard link"])
def test_rejects_path_that_is_the_input_is_refused(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    path = write(tmp_path, GOOD)
    rejects = path
    if kind == "relative path":
        monkeypatch.chdir(tmp_path)
        rejects = Path("sub/../tx.csv")
        (tmp_path / "sub").mkdir()
    elif kind in ("symlink", "hard link"):
        rejects = tmp_path / "rejects.csv"
        _link(kind, path, rejects)

    with pytest.raises(RecbotError, match="is the input file") as caught:
        import_transactions(engine, path, skip_invalid=True, rejects_path=rejects, now=NOW)

    assert "\n" not in str(caught.value)
    assert path.read_text(encoding="utf-8") == GOOD
    assert table_counts(engine)["import_batches"] == 0
    report = import_transactions(engine, path, now=NOW)  # not refused as already imported
    assert report.rows_imported == 4


@pytest.mark.parametrize("kind", ["already imported", "failed import"])
def test_rejects_file_is_only_written_when_the_import_commits(
    engine: Engine, tmp_path: Path, kind: str
) -> None:
    path = write(tmp_path, GOOD)
    if kind == "already imported":
        import_transactions(engine, path, now=NOW)
    else:
        path.write_text(GOOD + 'C3,"P3,1,2026-01-01\n', encoding="utf-8")  # quote never closed
    out = tmp_path / "out"
    out.mkdir()
    rejects = out / "rejects.csv"
    rejects.write_text("kept\n", encoding="utf-8")

    try:
        import_transactions(engine, path, skip_invalid=True, rejects_path=rejects, now=NOW)
    except RecbotError:
        assert kind == "failed import"

    assert rejects.read_text(encoding="utf-8") == "kept\n"
    assert list(out.iterdir()) == [rejects]  # no temporary file left behind either


def test_rejects_path_in_a_missing_folder_is_one_error_before_anything_is_written(
    engine: Engine, tmp_path: Path
) -> None:
    path = write(tmp_path, GOOD)
    with pytest.raises(RecbotError, match="rejects file"):
        import_transactions(
            engine, path, skip_invalid=True, rejects_path=tmp_path / "no" / "r.csv", now=NOW
        )
    with pytest.raises(RecbotError, match="rejects file"):
        import_transactions(engine, path, skip_invalid=True, rejects_path=tmp_path, now=NOW)
    assert table_counts(engine)["import_batches"] == 0


# --- Files that break off or are not what they claim: one error line, nothing written --------


@pytest.mark.parametrize("broken", BROKEN)
def test_unreadable_files_are_one_error_line_and_write_nothing(
    engine: Engine, tmp_path: Path, broken: str
) -> None:
    import_transactions(engine, write(tmp_path, GOOD, "first.csv"), now=NOW)
    before = table_counts(engine)
    indexes = {i["name"] for i in inspect(engine).get_indexes("transactions")}
    path, expected = broken_file(
        tmp_path, broken, "customer_id,product_id,quantity,occurred_at", "C{i},P{i},1,2026-01-01"
    )
    out = tmp_path / "out"
    out.mkdir()

    with pytest.raises(RecbotError) as caught:
        import_transactions(
            engine, path, skip_invalid=True, rejects_path=out / "r.csv", chunk_rows=1000, now=NOW
        )

    message = str(caught.value)
    assert "\n" not in message
    for fragment in expected:
        assert fragment in message
    assert table_counts(engine) == before
    assert {i["name"] for i in inspect(engine).get_indexes("transactions")} == indexes
    assert list(out.iterdir()) == []


# --- Values out of any sane range, and characters that would act on a terminal ---------------


def test_out_of_range_values_and_control_characters_are_rejected(
    engine: Engine, tmp_path: Path
) -> None:
    header = "customer_id,product_id,quantity,occurred_at,amount,customer_name,product_name\n"
    lines = [
        "C1,P1,1,1500-01-01,,Acme,Beans",  # 2
        "C1,P1,1,1969-12-31 23:59:59,,Acme,Beans",  # 3
        "C1,P1,1e300,2026-01-01,,Acme,Beans",  # 4
        "C1,P1,-1000000001,2026-01-01,,Acme,Beans",  # 5
        "C1,P1,inf,2026-01-01,,Acme,Beans",  # 6
        "C1,P1,nan,2026-01-01,,Acme,Beans",  # 7
        "C1,P1,1,2026-01-01,1e300,Acme,Beans",  # 8
        "C1,P1,1,2026-01-01,-inf,Acme,Beans",  # 9
        "C\x1b[2J,P1,1,2026-01-01,,Acme,Beans",  # 10: clears a terminal
        "C1,P\u202e1,1,2026-01-01,,Acme,Beans",  # 11: right-to-left override
        "C1,P1,1,2026-01-01,,Ac\x07me,Beans",  # 12
        "C1,P1,1,2026-01-01,,Acme,Be\tans",  # 13
        "C1,P1,1,2026-01-01,,Acme,Be\u200bans",  # 14: zero-width space
        "C1,P1,1e9,1970-01-01,-1e12,Acme,Beans",  # 15: on the limits, imported
        "C2,P2,-1e9,1970-01-01 00:00:00,1e12,Caf\u00e9 \u200d\u200c,\u7c73",  # 16: imported
    ]
    path = write(tmp_path, header + "\n".join(lines) + "\n")

    with pytest.raises(ImportRejected) as caught:
        import_transactions(engine, path, now=NOW)

    assert {r.line: r.reason for r in caught.value.report.rejections} == {
        2: "date '1500-01-01' is before 1970-01-01",
        3: "date '1969-12-31 23:59:59' is before 1970-01-01",
        4: "quantity '1e300' is out of range (more than 1,000,000,000 either way)",
        5: "quantity '-1000000001' is out of range (more than 1,000,000,000 either way)",
        6: "quantity 'inf' is not a number",
        7: "quantity 'nan' is not a number",
        8: "amount '1e300' is out of range (more than 1,000,000,000,000 either way)",
        9: "amount '-inf' is not a number",
        10: "customer_id contains a control character (U+001B)",
        11: "product_id contains a control character (U+202E)",
        12: "customer_name contains a control character (U+0007)",
        13: "product_name contains a control character (U+0009)",
        14: "product_name contains a control character (U+200B)",
    }
    assert table_counts(engine)["transactions"] == 0

    report = import_transactions(engine, path, skip_invalid=True, now=NOW)

    assert (report.rows_imported, report.rows_rejected) == (2, 13)
    with engine.connect() as conn:
        names = dict(conn.execute(select(Customer.external_id, Customer.name)).all())
        rows = conn.execute(
            select(Transaction.quantity, Transaction.amount, Transaction.occurred_at).order_by(
                Transaction.quantity
            )
        ).all()
    assert names == {"C1": "Acme", "C2": "Caf\u00e9 \u200d\u200c"}
    assert rows == [(-1e9, 1e12, datetime(1970, 1, 1)), (1e9, -1e12, datetime(1970, 1, 1))]
