"""`recbot import products` with the optional status and availability columns, on SQLite and
PostgreSQL: normalised, checked with one-line reasons, and left alone by files without them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from db.imports import ImportRejected, import_masters
from db.models import Product


def write(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "products.csv"
    path.write_text(content, encoding="utf-8")
    return path


def catalogue(engine: Engine) -> dict[str, tuple]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Product.external_id,
                Product.status,
                Product.available_from,
                Product.available_until,
            )
        ).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def test_status_and_dates_are_imported_and_normalised(engine: Engine, tmp_path: Path) -> None:
    import_masters(
        engine,
        write(
            tmp_path,
            "product_id,name,status,available_from,available_until\n"
            "P1,Milk,active,,\n"
            "P2,Cream,Discontinued,,\n"
            "P3,Butter,out of stock,2026-01-01,2026-12-31\n"
            "P4,Yogurt,,2026-03-01 00:00:00,\n",
        ),
        "products",
    )
    assert catalogue(engine) == {
        "P1": ("active", None, None),
        "P2": ("discontinued", None, None),
        "P3": ("out_of_stock", date(2026, 1, 1), date(2026, 12, 31)),
        "P4": ("active", date(2026, 3, 1), None),
    }


def test_a_file_without_the_columns_keeps_them(engine: Engine, tmp_path: Path) -> None:
    import_masters(
        engine, write(tmp_path, "product_id,name,status\nP1,Milk,discontinued\n"), "products"
    )
    report = import_masters(
        engine,
        write(tmp_path, "product_id,name,category\nP1,Whole milk,Dairy\nP2,Cream,Dairy\n"),
        "products",
    )
    assert (report.created, report.updated) == (1, 1)
    assert catalogue(engine) == {"P1": ("discontinued", None, None), "P2": ("active", None, None)}


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            "P1,Milk,sold out,,",
            "status 'sold out' is not one of active, discontinued, out_of_stock",
        ),
        (
            "P1,Milk,active,01/02/2026,",
            "available_from '01/02/2026' is not a date (use YYYY-MM-DD)",
        ),
        (
            "P1,Milk,active,,2026-13-01",
            "available_until '2026-13-01' is not a date (use YYYY-MM-DD)",
        ),
        (
            "P1,Milk,active,2026-05-01,2026-04-30",
            "available_until 2026-04-30 is before available_from 2026-05-01",
        ),
    ],
)
def test_bad_values_are_rejected_with_their_line(
    engine: Engine, tmp_path: Path, line: str, reason: str
) -> None:
    path = write(
        tmp_path, f"product_id,name,status,available_from,available_until\nP0,Ok,,,\n{line}\n"
    )
    with pytest.raises(ImportRejected) as caught:
        import_masters(engine, path, "products")
    assert [(r.line, r.reason) for r in caught.value.report.rejections] == [(3, reason)]
    assert catalogue(engine) == {}  # all or nothing
