"""A sync source's products query may carry the catalogue status and availability dates."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from db.models import Product
from db.sync.apply import SyncRejected, sync_source
from db.sync.config import load_sources
from tests.db.sync.erp import Erp

PRODUCTS = (
    "products: SELECT sku AS product_id, descr AS name, family AS category, state AS status, "
    "sell_from AS available_from, sell_until AS available_until FROM items"
)


def statuses(engine: Engine) -> dict[str, tuple]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Product.external_id, Product.status, Product.available_from, Product.available_until
            )
        ).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def sync(engine: Engine, erp: Erp, folder: Path):
    [source] = load_sources(erp.sources_file(folder, masters=False, extra=PRODUCTS), environ={})
    return sync_source(engine, source)


def test_status_and_dates_come_from_the_products_query(
    engine: Engine, erp: Erp, tmp_path: Path
) -> None:
    erp.sql("ALTER TABLE items ADD state VARCHAR(20), ADD sell_from DATE, ADD sell_until DATE")
    erp.sql("UPDATE items SET state = 'DISCONTINUED' WHERE sku = 'S2'")
    erp.sql("UPDATE items SET state = 'active', sell_until = '2026-06-30' WHERE sku = 'S3'")
    sync(engine, erp, tmp_path)
    assert statuses(engine) == {
        "S1": ("active", None, None),
        "S2": ("discontinued", None, None),
        "S3": ("active", None, date(2026, 6, 30)),
    }
    erp.sql("UPDATE items SET state = 'out_of_stock' WHERE sku = 'S1'")
    sync(engine, erp, tmp_path)
    assert statuses(engine)["S1"] == ("out_of_stock", None, None)


def test_an_unknown_status_is_rejected_by_name(engine: Engine, erp: Erp, tmp_path: Path) -> None:
    erp.sql("ALTER TABLE items ADD state VARCHAR(20), ADD sell_from DATE, ADD sell_until DATE")
    erp.sql("UPDATE items SET state = 'retired' WHERE sku = 'S2'")
    with pytest.raises(SyncRejected) as caught:
        sync(engine, erp, tmp_path)
    [reject] = caught.value.report.rejects
    assert (reject.kind, reject.label) == ("products", "S2")
    assert reject.reason == "status 'retired' is not one of active, discontinued, out_of_stock"
