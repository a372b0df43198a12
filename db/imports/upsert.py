"""Writing checked customers, products and sales reps: upserts keyed by external id (or email);
a rep's line replaces that rep's account assignments."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select, update

from db.imports.report import Label, Rejection, UpsertReport
from db.imports.write import in_batches, load_ids, table_of
from db.models import Customer, Product, RepAssignment, SalesRep


def upsert_master(
    conn: Connection,
    model: type[Customer] | type[Product],
    rows: list[dict],
    report: UpsertReport,
    *,
    id_column: str,
    fields: list[str],
) -> None:
    """Create the new ids; update known ones whose `fields` changed (those the file has)."""
    latest = {row[id_column]: row for row in rows}  # a later line for the same id wins
    existing = _existing(conn, model, list(latest), fields)
    new_rows = []
    for external_id, row in latest.items():
        values = {f: row.get(f) for f in fields}
        if external_id not in existing:
            # Only the file's columns: a column it lacks keeps the database default (a new
            # product's status is active). Every row of one file has the same columns.
            new_rows.append(
                {"external_id": external_id, **{f: row.get(f) for f in fields if f in row}}
            )
        elif any(existing[external_id][f] != values[f] for f in fields if f in row):
            changed = {f: values[f] for f in fields if f in row}
            conn.execute(update(model).where(model.external_id == external_id).values(**changed))
            report.updated += 1
        else:
            report.unchanged += 1
    if new_rows:
        conn.execute(insert(model), new_rows)
    report.created = len(new_rows)


def _existing(
    conn: Connection,
    model: type[Customer] | type[Product],
    external_ids: list[str],
    fields: list[str],
) -> dict[str, dict]:
    found: dict[str, dict] = {}
    columns = [model.external_id] + [getattr(model, f) for f in fields]
    for batch in in_batches(external_ids):
        for row in conn.execute(select(*columns).where(model.external_id.in_(batch))):
            found[row[0]] = dict(zip(fields, row[1:], strict=True))
    return found


def _split_ids(text: str | None) -> list[str]:
    return [part for part in (text or "").replace(",", ";").replace(" ", ";").split(";") if part]


def drop_unknown_customers(
    conn: Connection, valid: list[tuple[int, dict]], report: UpsertReport
) -> list[tuple[int, dict]]:
    """The rep rows whose customer ids all exist; the others become rejections."""
    wanted = sorted({c for _, row in valid for c in _split_ids(row.get("customer_ids"))})
    known = set(load_ids(conn, table_of(Customer), wanted))
    kept = []
    for line, row in valid:
        unknown = [c for c in _split_ids(row.get("customer_ids")) if c not in known]
        if unknown:
            listed = ", ".join(unknown[:3]) + (" …" if len(unknown) > 3 else "")
            report.rejections.append(Rejection(line, f"unknown customer id(s): {listed}"))
        else:
            kept.append((line, row))
    return kept


def drop_taken_slack_ids(
    conn: Connection, valid: list[tuple[Label, dict]], report: UpsertReport
) -> list[tuple[Label, dict]]:
    """The rep rows whose Slack id no other rep (another e-mail) has in the database; the others
    become rejections."""
    wanted = sorted({row["slack_user_id"] for _, row in valid if row.get("slack_user_id")})
    owners: dict[str, str] = {}
    for batch in in_batches(wanted):
        rows = conn.execute(
            select(SalesRep.slack_user_id, SalesRep.email).where(SalesRep.slack_user_id.in_(batch))
        )
        owners.update((str(slack_user_id), email.lower()) for slack_user_id, email in rows)
    kept = []
    for line, row in valid:
        owner = owners.get(row.get("slack_user_id") or "")
        if owner is not None and owner != row["email"].lower():
            report.rejections.append(
                Rejection(
                    line,
                    f"slack_user_id {row['slack_user_id']!r} already belongs to another rep "
                    f"({owner})",
                )
            )
        else:
            kept.append((line, row))
    return kept


def upsert_reps(conn: Connection, rows: list[dict], report: UpsertReport) -> None:
    """A rep's line is the truth about that rep: listed accounts replace earlier assignments."""
    customer_ids = load_ids(
        conn,
        table_of(Customer),
        sorted({c for row in rows for c in _split_ids(row.get("customer_ids"))}),
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
