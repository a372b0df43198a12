"""Customers, products and sales reps from a source's optional queries, with the checks and the
upserts of `recbot import customers|products|reps`. Reps go first, so a customer's
`owner_email` can name a rep the same run brought in; that column makes the customer's
assignments exactly its owner (none when it is empty), keeping rep_assignments in step with the
source. A products query may return a product's catalogue status (active, discontinued,
out_of_stock) and its available_from / available_until dates, checked as an import checks them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from db.catalogue import CATALOGUE_COLUMNS, check_catalogue
from db.imports.check import check_master_row, check_rep_row, drop_shared_slack_ids
from db.imports.report import Rejection, UpsertReport
from db.imports.upsert import drop_taken_slack_ids, upsert_master, upsert_reps
from db.imports.write import in_batches, load_ids, table_of
from db.models import Customer, Product, RepAssignment, SalesRep
from db.sync.config import Source
from db.sync.rows import as_text
from db.sync.source import chunk_size, run_query

# kind -> (required columns, optional columns), in the order a run syncs them
MASTER_KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "reps": (("email", "name"), ("slack_user_id", "time_zone")),
    "customers": (("customer_id", "name"), ("segment", "region", "owner_email")),
    "products": (("product_id", "name"), ("category", *CATALOGUE_COLUMNS)),
}


@dataclass
class MasterResult:
    kind: str
    report: UpsertReport
    assignments_changed: int = 0
    rejections: list[Rejection] = field(default_factory=list)

    def summary(self) -> str:
        r = self.report
        text = (
            f"{self.kind} {r.created:,} created, {r.updated:,} updated, "
            f"{r.unchanged:,} unchanged, {len(self.rejections):,} rejected"
        )
        if self.kind == "customers" and self.assignments_changed:
            text += f", {self.assignments_changed:,} owners changed"
        return text


def sync_masters(
    store: Connection, source_conn: Connection, source: Source, write: bool
) -> list[MasterResult]:
    """Read, check and (when `write`) upsert each master query the source has."""
    results = []
    for kind, (required, optional) in MASTER_KINDS.items():
        if kind not in source.queries:
            continue
        query = run_query(source_conn, source, kind, required)
        wanted = [c for c in (*required, *optional) if c in query.columns]
        rows: list[dict[str, Any]] = []
        for chunk in query.chunks:
            texts = {c: as_text(chunk[c]) for c in wanted}
            for i in range(chunk_size(chunk)):
                rows.append({c: _clean(texts[c][i]) for c in wanted})
        result = MasterResult(kind, UpsertReport(path=Path(f"{source.name}:{kind}")))
        valid = _checked(store, kind, rows, result)
        if write:
            _upsert(store, kind, [row for _, row in valid], wanted, result)
        results.append(result)
    return results


def _clean(value: str | None) -> str | None:
    stripped = value.strip() if isinstance(value, str) else None
    return stripped or None


def _checked(
    store: Connection, kind: str, rows: list[dict[str, Any]], result: MasterResult
) -> list[tuple[str, dict]]:
    """(label, row) of the valid rows; the others become the result's rejections."""
    key = {"reps": "email", "customers": "customer_id", "products": "product_id"}[kind]
    valid = []
    for position, row in enumerate(rows, start=1):
        label = row.get(key) or f"row {position}"
        if kind == "reps":
            reason = check_rep_row(row)
        else:
            reason = check_master_row({c: v for c, v in row.items() if c != "owner_email"}, key)
            if kind == "products" and not reason:
                reason = check_catalogue(row)
        if reason:
            result.rejections.append(Rejection(label, reason))
        else:
            valid.append((label, row))
    if kind == "reps":
        valid = drop_taken_slack_ids(store, valid, result.report)
        valid, shared = drop_shared_slack_ids(valid)
        result.rejections += result.report.rejections + shared
    if kind == "customers":
        valid = _drop_unknown_owners(store, valid, result)
    return valid


def _drop_unknown_owners(
    store: Connection, valid: list[tuple[str, dict]], result: MasterResult
) -> list[tuple[str, dict]]:
    emails = sorted({row["owner_email"].lower() for _, row in valid if row.get("owner_email")})
    known: set[str] = set()
    for batch in in_batches(emails):
        known.update(
            store.execute(select(SalesRep.email).where(SalesRep.email.in_(batch))).scalars()
        )
    kept = []
    for label, row in valid:
        owner = (row.get("owner_email") or "").lower()
        if owner and owner not in known:
            result.rejections.append(
                Rejection(
                    label,
                    f"owner_email {owner[:40]!r} is not a known rep (add it to the reps query)",
                )
            )
        else:
            kept.append((label, row))
    return kept


def _upsert(
    store: Connection, kind: str, rows: list[dict], columns: list[str], result: MasterResult
) -> None:
    if kind == "reps":
        upsert_reps(store, rows, result.report)
        return
    model, key = (Customer, "customer_id") if kind == "customers" else (Product, "product_id")
    stored = table_of(model).c
    fields = ["name", *(c for c in columns if c not in (key, "name") and c in stored)]
    upsert_master(store, model, rows, result.report, id_column=key, fields=fields)
    if kind == "customers" and "owner_email" in columns:
        result.assignments_changed = _assign_owners(store, rows)


def _assign_owners(store: Connection, rows: list[dict]) -> int:
    """Each customer's assignments become its owner (none without one); how many changed."""
    owners = {row["customer_id"]: (row.get("owner_email") or "").lower() for row in rows}
    customer_ids = load_ids(store, table_of(Customer), list(owners))
    emails = sorted({email for email in owners.values() if email})
    rep_ids: dict[str, int] = {}
    for batch in in_batches(emails):
        rep_ids.update(
            store.execute(
                select(SalesRep.email, SalesRep.id).where(SalesRep.email.in_(batch))
            ).all()
        )
    current: dict[int, set[int]] = {}
    for batch in in_batches(list(customer_ids.values())):
        for rep_id, customer_id in store.execute(
            select(RepAssignment.rep_id, RepAssignment.customer_id).where(
                RepAssignment.customer_id.in_(batch)
            )
        ):
            current.setdefault(customer_id, set()).add(rep_id)
    changed, wanted = [], []
    for external_id, email in owners.items():
        customer_id = customer_ids[external_id]
        want = {rep_ids[email]} if email else set()
        if want != current.get(customer_id, set()):
            changed.append(customer_id)
            wanted += [{"rep_id": rep_id, "customer_id": customer_id} for rep_id in want]
    for batch in in_batches(changed):
        store.execute(delete(RepAssignment).where(RepAssignment.customer_id.in_(batch)))
    if wanted:
        store.execute(insert(RepAssignment), wanted)
    return len(changed)
