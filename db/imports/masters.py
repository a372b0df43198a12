"""Import of customers, products and sales reps: upserts keyed by external id (or email).

Same rules as transactions: every bad line is reported with its line number, any bad line aborts
the whole file (nothing written) unless skip_invalid, and re-importing the same file changes
nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from db.catalogue import CATALOGUE_COLUMNS, check_catalogue
from db.imports.check import check_master_row, check_rep_row, drop_shared_slack_ids
from db.imports.read import read_records
from db.imports.report import ImportRejected, Rejection, UpsertReport
from db.imports.upsert import (
    drop_taken_slack_ids,
    drop_unknown_customers,
    upsert_master,
    upsert_reps,
)
from db.models import Customer, Product


@dataclass(frozen=True)
class _Kind:
    required: tuple[str, ...]
    optional: tuple[str, ...]
    validate: Callable[[dict], str | None]


KINDS = {
    "customers": _Kind(
        ("customer_id", "name"), ("segment", "region"), lambda r: check_master_row(r, "customer_id")
    ),
    "products": _Kind(
        ("product_id", "name"),
        ("category", *CATALOGUE_COLUMNS),
        lambda r: check_master_row(r, "product_id") or check_catalogue(r),
    ),
    "reps": _Kind(("email", "name"), ("slack_user_id", "time_zone", "customer_ids"), check_rep_row),
}


def import_masters(
    engine: Engine,
    path: Path,
    kind: str,
    column_map: dict[str, str] | None = None,
    skip_invalid: bool = False,
) -> UpsertReport:
    """Upsert customers, products or reps from a CSV file, all or nothing."""
    path = Path(path)
    spec = KINDS[kind]
    rows, lines = read_records(path, column_map or {}, spec.required, spec.optional)
    report = UpsertReport(path=path, rows_read=len(rows))
    valid: list[tuple[int, dict]] = []
    for line, row in zip(lines, rows, strict=True):
        reason = spec.validate(row)
        if reason:
            report.rejections.append(Rejection(line, reason))
        else:
            valid.append((line, row))
    with engine.connect() as conn, conn.begin():
        if kind == "reps":
            valid = drop_unknown_customers(conn, valid, report)
            valid = drop_taken_slack_ids(conn, valid, report)
            valid, shared = drop_shared_slack_ids(valid)
            report.rejections.extend(shared)
        report.rows_rejected = len(report.rejections)
        report.rejections.sort(key=lambda r: r.line)
        if report.rejections and not skip_invalid:
            raise ImportRejected(report)
        valid_rows = [row for _, row in valid]
        if kind == "reps":
            upsert_reps(conn, valid_rows, report)
        else:
            model, id_column = (
                (Customer, "customer_id") if kind == "customers" else (Product, "product_id")
            )
            fields = ["name", *spec.optional]
            upsert_master(conn, model, valid_rows, report, id_column=id_column, fields=fields)
    report.rows_imported = len(valid)
    return report
