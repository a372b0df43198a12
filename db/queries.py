"""Accounts, reps' assignments and 👍/👎 feedback: the small reads and writes around an answer.

Bound parameters only; every function takes a Connection. What is served lives in db.serving,
finding a customer from typed text in db.customer_search.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    Connection,
    Row,
    ScalarSelect,
    Select,
    delete,
    false,
    func,
    literal,
    or_,
    select,
    text,
    true,
    union_all,
)

from db.models import Customer, Feedback, Product, RepAssignment, RepDigestSetting, SalesRep
from db.upsert_row import upsert_row


@dataclass(frozen=True)
class CustomerRef:
    id: int
    external_id: str
    name: str
    segment: str | None
    region: str | None


CUSTOMER_COLUMNS = (
    Customer.id,
    Customer.external_id,
    Customer.name,
    Customer.segment,
    Customer.region,
)


def customer_ref(row: Row) -> CustomerRef:
    return CustomerRef(row.id, row.external_id, row.name, row.segment, row.region)


def ping(conn: Connection) -> None:
    conn.execute(text("SELECT 1"))


def customer_by_id(conn: Connection, customer_id: int) -> CustomerRef | None:
    row = conn.execute(select(*CUSTOMER_COLUMNS).where(Customer.id == customer_id)).first()
    return customer_ref(row) if row else None


@dataclass(frozen=True)
class RepRef:
    id: int
    name: str


def _rep_of(slack_user_id: str) -> Select:
    """Which rep a Slack user is, the one rule for every caller: the rep whose stored
    slack_user_id it is, else a rep with no stored id whose Slack id the digest found by e-mail
    (rep_digest_settings.slack_user_id). At most one row: (id, name)."""
    known = true() if slack_user_id else false()
    stored = select(SalesRep.id, SalesRep.name, literal(0).label("rank")).where(
        known, SalesRep.slack_user_id == slack_user_id
    )
    found = (
        select(SalesRep.id, SalesRep.name, literal(1).label("rank"))
        .join(RepDigestSetting, RepDigestSetting.rep_id == SalesRep.id)
        .where(
            known,
            RepDigestSetting.slack_user_id == slack_user_id,
            or_(SalesRep.slack_user_id.is_(None), SalesRep.slack_user_id == ""),
        )
    )
    reps = union_all(stored, found).subquery()
    return select(reps.c.id, reps.c.name).order_by(reps.c.rank, reps.c.id).limit(1)


def _rep_id_of(slack_user_id: str) -> ScalarSelect:
    return select(_rep_of(slack_user_id).subquery().c.id).scalar_subquery()


def rep_for_slack_user(conn: Connection, slack_user_id: str) -> RepRef | None:
    """The sales rep a Slack user is (see _rep_of), or None."""
    row = conn.execute(_rep_of(slack_user_id)).first()
    return None if row is None else RepRef(row.id, row.name)


def rep_customers(conn: Connection, slack_user_id: str, limit: int = 200) -> list[CustomerRef]:
    """The accounts assigned to the rep this Slack user is, by name."""
    rows = conn.execute(
        select(*CUSTOMER_COLUMNS)
        .join(RepAssignment, RepAssignment.customer_id == Customer.id)
        .where(RepAssignment.rep_id == _rep_id_of(slack_user_id))
        .order_by(Customer.name)
        .limit(limit),
    ).all()
    return [customer_ref(r) for r in rows]


def assigned_customer_ids(conn: Connection, slack_user_id: str) -> frozenset[int]:
    rows = conn.execute(
        select(RepAssignment.customer_id).where(RepAssignment.rep_id == _rep_id_of(slack_user_id)),
    ).scalars()
    return frozenset(rows)


def is_assigned(conn: Connection, slack_user_id: str, customer_id: int) -> bool:
    found = conn.execute(
        select(RepAssignment.customer_id).where(
            RepAssignment.rep_id == _rep_id_of(slack_user_id),
            RepAssignment.customer_id == customer_id,
        ),
    ).first()
    return found is not None


def product_name(conn: Connection, product_id: int) -> str | None:
    return conn.execute(select(Product.name).where(Product.id == product_id)).scalar()


def record_feedback(
    conn: Connection,
    customer_id: int,
    product_id: int,
    slack_user_id: str,
    vote: int,
    model_id: int | None,
) -> None:
    """Store (or replace) this user's vote on this product for this customer; commits."""
    upsert_row(
        conn,
        Feedback,
        {"customer_id": customer_id, "product_id": product_id, "slack_user_id": slack_user_id},
        {"vote": vote, "model_version_id": model_id, "created_at": func.now()},
    )
    conn.commit()


def hidden_products(conn: Connection, customer_id: int) -> list[tuple[int, str, list[str]]]:
    """Products 👎'd for this customer: (product id, name, Slack users who voted it down)."""
    rows = conn.execute(
        select(Product.id, Product.name, Feedback.slack_user_id)
        .join(Product, Product.id == Feedback.product_id)
        .where(Feedback.customer_id == customer_id, Feedback.vote < 0)
        .order_by(Product.name, Feedback.slack_user_id)
    )
    out: dict[int, tuple[int, str, list[str]]] = {}
    for product_id, name, user in rows:
        out.setdefault(product_id, (product_id, name, []))[2].append(user)
    return list(out.values())


def unhide(conn: Connection, customer_id: int, product_id: int) -> int:
    """Drop every 👎 on this product for this customer; commits; returns how many."""
    result = conn.execute(
        delete(Feedback).where(
            Feedback.customer_id == customer_id,
            Feedback.product_id == product_id,
            Feedback.vote < 0,
        )
    )
    conn.commit()
    return result.rowcount
