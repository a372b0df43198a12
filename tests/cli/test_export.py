"""`recbot export` writes cells a spreadsheet cannot run as formulas."""

from __future__ import annotations

import csv

from click.testing import CliRunner
from sqlalchemy import update

from bot.cli import cli
from db.models import Customer, Product
from tests.bot import fixtures


def test_export_neutralises_formula_cells(engine, database_url, monkeypatch, tmp_path):
    fixtures.fill(engine)
    with engine.begin() as conn:
        conn.execute(update(Customer).where(Customer.id == 1).values(external_id="=1+2"))
        conn.execute(update(Product).where(Product.id == 1).values(external_id="@SUM(A1)"))
        conn.execute(update(Product).where(Product.id == 2).values(external_id="-2+3"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    out = tmp_path / "recs.csv"
    res = CliRunner().invoke(cli, ["export", "--out", str(out)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    cells = [v for r in rows for v in (r["customer_id"], r["product_id"])]
    assert "'=1+2" in cells and "'@SUM(A1)" in cells and "'-2+3" in cells
    assert not any(c[:1] in "=+-@" for c in cells)
