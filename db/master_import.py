"""Import of customers, products and sales reps: upserts keyed by external id (or email).

Same rules as transactions: every bad line is reported with its line number, any bad line aborts
the whole file (nothing written) unless skip_invalid, and re-importing the same file changes
nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import Connection, Engine, delete, insert, select, update

from db.importer import (
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    ImportRejected,
    ImportReport,
    Rejection,
    read_chunks,
    read_header,
)
from db.models import Customer, Product, RepAssignment, SalesRep


@dataclass
class UpsertReport(ImportReport):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    assignments: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Kind:
    required: tuple[str, ...]
    optional: tuple[str, ...]
    validate: Callable[[dict], str | None]


def _check_id(value: str | None, column: str) -> str | None:
    if not value:
        return f"missing {column}"
    if len(value) > MAX_ID_LENGTH:
        return f"{column} longer than {MAX_ID_LENGTH} characters"
    return None


def _check_master(row: dict, id_column: str) -> str | None:
    return _check_id(row.get(id_column), id_column) or (
        f"name longer than {MAX_NAME_LENGTH} characters"
        if len(row.get("name") or "") > MAX_NAME_LENGTH
        else None
    )


def _check_rep(row: dict) -> str | None:
    email = row.get("email") or ""
    if "@" not in email or len(email) > 256:
        return f"email {email[:40]!r} is not an email address"
    if not row.get("name"):
        return "missing name"
    zone = row.get("time_zone")
    if zone and not _valid_zone(zone):
        return f"time zone {zone[:40]!r} is unknown (use an IANA name such as Europe/Berlin)"
    return None


def _valid_zone(zone: str) -> bool:
    if zone not in available_timezones():
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            return False
    return True


KINDS = {
    "customers": _Kind(
        ("customer_id", "name"), ("segment", "region"), lambda r: _check_master(r, "customer_id")
    ),
    "products": _Kind(
        ("product_id", "name"), ("category",), lambda r: _check_master(r, "product_id")
    ),
    "reps": _Kind(("email", "name"), ("slack_user_id", "time_zone", "customer_ids"), _check_rep),
}


def _read_rows(path: Path, kind: str, column_map: dict[str, str]) -> tuple[list[dict], list[int]]:
    spec = KINDS[kind]
    header = read_header(path, column_map, spec.required, spec.optional)
    rows, lines = [], []
    for chunk in read_chunks(path, header, 100_000):
        keep = [c for c in spec.required + spec.optional if c in chunk]
        for line, record in zip(
            chunk["_line"].tolist(), chunk[keep].to_dict("records"), strict=True
        ):
            rows.append({k: (v.strip() if isinstance(v, str) else None) for k, v in record.items()})
            lines.append(line)
    return rows, lines


def import_masters(
    engine: Engine,
    path: Path,
    kind: str,
    column_map: dict[str, str] | None = None,
    skip_invalid: bool = False,
) -> UpsertReport:
    """Upsert customers, products or reps from a CSV file, all or nothing."""
    path = Path(path)
    rows, lines = _read_rows(path, kind, column_map or {})
    report = UpsertReport(path=path, rows_read=len(rows))
    valid: list[tuple[int, dict]] = []
    for line, row in zip(lines, rows, strict=True):
        reason = KINDS[kind].validate(row)
        if reason:
            report.rejections.append(Rejection(line, reason))
        else:
            valid.append((line, row))
    with engine.connect() as conn, conn.begin():
        if kind == "reps":
            valid = _drop_unknown_customers(conn, valid, report)
        report.rows_rejected = len(report.rejections)
        if report.rejections and not skip_invalid:
            raise ImportRejected(report)
        if kind == "reps":
            _upsert_reps(conn, [row for _, row in valid], report)
        else:
            _upsert_master(conn, kind, [row for _, row in valid], report)
    report.rows_imported = len(valid)
    report.rejections.sort(key=lambda r: r.line)
    return report


def _upsert_master(conn: Connection, kind: str, rows: list[dict], report: UpsertReport) -> None:
    model = Customer if kind == "customers" else Product
    id_column = "customer_id" if kind == "customers" else "product_id"
    fields = ["name", *list(KINDS[kind].optional)]
    latest = {row[id_column]: row for row in rows}  # a later line for the same id wins
    existing = _existing(conn, model, list(latest), fields)
    new_rows = []
    for external_id, row in latest.items():
        values = {f: row.get(f) for f in fields}
        if external_id not in existing:
            new_rows.append({"external_id": external_id, **values})
        elif any(existing[external_id][f] != values[f] for f in fields if f in row):
            changed = {f: values[f] for f in fields if f in row}
            conn.execute(update(model).where(model.external_id == external_id).values(**changed))
            report.updated += 1
        else:
            report.unchanged += 1
    if new_rows:
        conn.execute(insert(model), new_rows)
    report.created = len(new_rows)


def _existing(conn: Connection, model, external_ids: list[str], fields: list[str]) -> dict:
    found: dict[str, dict] = {}
    columns = [model.external_id] + [getattr(model, f) for f in fields]
    for start in range(0, len(external_ids), 5000):
        batch = external_ids[start : start + 5000]
        for row in conn.execute(select(*columns).where(model.external_id.in_(batch))):
            found[row[0]] = dict(zip(fields, row[1:], strict=True))
    return found


def _split_ids(text: str | None) -> list[str]:
    return [part for part in (text or "").replace(",", ";").replace(" ", ";").split(";") if part]


def _drop_unknown_customers(
    conn: Connection, valid: list[tuple[int, dict]], report: UpsertReport
) -> list[tuple[int, dict]]:
    wanted = sorted({c for _, row in valid for c in _split_ids(row.get("customer_ids"))})
    known = set(_customer_ids(conn, wanted))
    kept = []
    for line, row in valid:
        unknown = [c for c in _split_ids(row.get("customer_ids")) if c not in known]
        if unknown:
            listed = ", ".join(unknown[:3]) + (" …" if len(unknown) > 3 else "")
            report.rejections.append(Rejection(line, f"unknown customer id(s): {listed}"))
        else:
            kept.append((line, row))
    return kept


def _customer_ids(conn: Connection, external_ids: list[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for start in range(0, len(external_ids), 5000):
        batch = external_ids[start : start + 5000]
        ids.update(
            dict(
                conn.execute(
                    select(Customer.external_id, Customer.id).where(Customer.external_id.in_(batch))
                ).all()
            )
        )
    return ids


def _upsert_reps(conn: Connection, rows: list[dict], report: UpsertReport) -> None:
    """A rep's line is the truth about that rep: listed accounts replace earlier assignments."""
    customer_ids = _customer_ids(
        conn, sorted({c for row in rows for c in _split_ids(row.get("customer_ids"))})
    )
    for row in {r["email"].lower(): r for r in rows}.values():
        email = row["email"].lower()
        values = {
            "name": row["name"],
            "slack_user_id": row.get("slack_user_id") or None,
            "time_zone": row.get("time_zone") or "UTC",
        }
        current = conn.execute(
            select(SalesRep.id, SalesRep.name, SalesRep.slack_user_id, SalesRep.time_zone).where(
                SalesRep.email == email
            )
        ).first()
        if current is None:
            rep_id = conn.execute(
                insert(SalesRep).values(email=email, **values).returning(SalesRep.id)
            ).scalar_one()
            report.created += 1
            changed = True
        else:
            rep_id = current.id
            changed = (current.name, current.slack_user_id, current.time_zone) != (
                values["name"],
                values["slack_user_id"],
                values["time_zone"],
            )
            if changed:
                conn.execute(update(SalesRep).where(SalesRep.id == rep_id).values(**values))
        if "customer_ids" in row:
            wanted = {customer_ids[c] for c in _split_ids(row["customer_ids"])}
            have = set(
                conn.execute(
                    select(RepAssignment.customer_id).where(RepAssignment.rep_id == rep_id)
                ).scalars()
            )
            if wanted != have:
                changed = True
                conn.execute(delete(RepAssignment).where(RepAssignment.rep_id == rep_id))
                if wanted:
                    conn.execute(
                        insert(RepAssignment),
                        [{"rep_id": rep_id, "customer_id": c} for c in sorted(wanted)],
                    )
            report.assignments += len(wanted)
        if current is not None:
            if changed:
                report.updated += 1
            else:
                report.unchanged += 1
