"""Customers' entitlements (a contract or price list): which products or categories each may be
offered. A customer with any entitlement is served only those (db/availability.py: entitled);
one without is unrestricted.

The CSV file: customer_id and either product_id or category per line (both columns may exist;
each line fills exactly one). Importing replaces the lists of the customers the file names, all
or nothing; customers it does not name keep theirs.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, delete, func, insert, select

from core.errors import RecbotError
from db.imports.report import ImportRejected, Rejection, UpsertReport
from db.imports.write import in_batches, load_ids, table_of
from db.models import Customer, Entitlement, Product

_COLUMNS = ("customer_id", "product_id", "category")


@dataclass(frozen=True)
class EntitlementRow:
    customer: str  # the customer's external id
    target: str  # product or category
    value: str


def _read(path: Path, report: UpsertReport) -> list[tuple[int, dict[str, str]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in reader.fieldnames or []]
            if "customer_id" not in header or not {"product_id", "category"} & set(header):
                raise RecbotError(
                    f"{path}: the header needs customer_id and product_id or category"
                )
            reader.fieldnames = header
            rows = [
                (reader.line_num, {c: (row.get(c) or "").strip() for c in _COLUMNS})
                for row in reader
            ]
    except FileNotFoundError:
        raise RecbotError(f"no entitlements file {path}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise RecbotError(f"{path}: not a readable CSV file: {exc}") from None
    report.rows_read = len(rows)
    return rows


def import_entitlements(conn: Connection, path: Path) -> UpsertReport:
    """Replace the entitlement lists of the customers `path` names. Call inside a transaction."""
    report = UpsertReport(path=path)
    rows = _read(path, report)
    customers = load_ids(conn, table_of(Customer), sorted({r["customer_id"] for _, r in rows}))
    products = set(load_ids(conn, table_of(Product), sorted({r["product_id"] for _, r in rows})))
    categories = {
        c for c in conn.execute(select(Product.category).distinct()).scalars() if c is not None
    }
    wanted: dict[tuple[int, str, str], None] = {}
    for line, row in rows:
        reason = _check(row, customers, products, categories)
        if reason:
            report.rejections.append(Rejection(line, reason))
            continue
        target, value = (
            ("product", row["product_id"]) if row["product_id"] else ("category", row["category"])
        )
        wanted[(customers[row["customer_id"]], target, value)] = None
    if report.rejections:
        report.rows_rejected = len(report.rejections)
        raise ImportRejected(report)
    named = sorted({c for c, _, _ in wanted})
    for batch in in_batches(named):
        conn.execute(delete(Entitlement).where(Entitlement.customer_id.in_(batch)))
    values = [{"customer_id": c, "target": t, "value": v} for c, t, v in wanted]
    for batch in in_batches(values):
        conn.execute(insert(Entitlement), batch)
    report.created, report.rows_imported, report.assignments = len(values), len(rows), len(named)
    return report


def _check(
    row: dict[str, str], customers: dict[str, int], products: set[str], categories: set[str]
) -> str | None:
    if not row["customer_id"]:
        return "missing customer_id"
    if row["customer_id"] not in customers:
        return f"unknown customer_id {row['customer_id'][:40]!r}"
    if bool(row["product_id"]) == bool(row["category"]):
        return "give exactly one of product_id or category"
    if row["product_id"] and row["product_id"] not in products:
        return f"unknown product_id {row['product_id'][:40]!r}"
    if row["category"] and row["category"] not in categories:
        return f"no product has the category {row['category'][:40]!r}"
    return None


def list_entitlements(conn: Connection, customer_id: int | None = None) -> list[EntitlementRow]:
    stmt = (
        select(Customer.external_id, Entitlement.target, Entitlement.value)
        .join(Customer, Customer.id == Entitlement.customer_id)
        .order_by(Customer.external_id, Entitlement.target, Entitlement.value)
    )
    if customer_id is not None:
        stmt = stmt.where(Entitlement.customer_id == customer_id)
    return [EntitlementRow(*row) for row in conn.execute(stmt)]


def count_entitled_customers(conn: Connection) -> int:
    return int(
        conn.execute(select(func.count(func.distinct(Entitlement.customer_id)))).scalar() or 0
    )


def clear_entitlements(conn: Connection, customer_id: int | None = None) -> int:
    """Remove one customer's list (it becomes unrestricted), or everyone's; how many rows went."""
    stmt = delete(Entitlement)
    if customer_id is not None:
        stmt = stmt.where(Entitlement.customer_id == customer_id)
    return int(conn.execute(stmt).rowcount or 0)
