"""Similar products and substitutes: keyed reads of the live version's precomputed neighbours.

`similar_products` holds each product's top neighbours, written when the version was published
(model/substitutes.py). Only products that can be bought today are offered (db/availability.py);
for a customer's substitutes, also only what the rules and its entitlements allow, and nothing
👎-hidden. Bound parameters only; no model code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import (
    Connection,
    Date,
    DateTime,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    func,
    select,
)

from db.availability import available, servable
from db.models import Product, SimilarProduct, Transaction
from db.product_search import COLUMNS, ProductRef
from db.queries import CustomerRef
from db.serving import LiveModel, not_hidden

SUBSTITUTE_HISTORY_DAYS = 365  # unavailable products bought within this long get a substitute line


@dataclass(frozen=True)
class Substitute:
    """A product the customer used to buy that cannot be bought now, and what is like it."""

    product: ProductRef
    why: str  # db/availability.py: unavailable_reason ("discontinued", "out of stock", …)
    last_bought: datetime
    similar: tuple[ProductRef, ...]


def source(model: LiveModel) -> str:
    """Which source the version serves similar products from ('' before it had any)."""
    return str((model.metrics.get("similar") or {}).get("served") or "")


def similar_to(
    conn: Connection,
    model_id: int,
    product_ids: Iterable[int],
    n: int,
    today: date,
) -> dict[int, list[ProductRef]]:
    """Up to n available neighbours of each product, best first."""
    ids = sorted(set(product_ids))
    out: dict[int, list[ProductRef]] = {i: [] for i in ids}
    if not ids:
        return out
    sim = SimilarProduct
    conds = [
        sim.model_version_id == model_id,
        sim.product_id.in_(bindparam("products", expanding=True)),
        available(today),
    ]
    stmt = (
        select(sim.product_id, *COLUMNS)
        .join(Product, Product.id == sim.similar_product_id)
        .where(*conds)
        .order_by(sim.product_id, sim.rank)
    )
    for row in conn.execute(stmt, {"products": ids}):
        kept = out[row[0]]
        if len(kept) < n:
            kept.append(ProductRef(*row[1:]))
    return out


def _substitutes_statement() -> Select:
    """Built once (the answer's hot path): bound customer, segment, model, day and window."""
    today = bindparam("today", type_=Date)
    customer = bindparam("c", type_=Integer)
    last = func.max(Transaction.occurred_at).label("last")
    gone = (
        select(*COLUMNS, last)
        .join(Product, Product.id == Transaction.product_id)
        .where(
            Transaction.customer_id == customer,
            Transaction.occurred_at >= bindparam("since", type_=DateTime),
            Transaction.occurred_at <= bindparam("now", type_=DateTime),
            ~available(today),
        )
        .group_by(*COLUMNS)
        .having(func.sum(Transaction.quantity) > 0)
        .order_by(last.desc(), Product.id)
        .limit(bindparam("limit", type_=Integer))
        .subquery()
    )
    sim = SimilarProduct
    return (
        select(*gone.c, *COLUMNS)
        .join(sim, and_(sim.product_id == gone.c.id, sim.model_version_id == bindparam("m")))
        .join(Product, Product.id == sim.similar_product_id)
        .where(
            servable(customer, bindparam("seg", type_=String), today),
            not_hidden(customer, Product.id),
        )
        .order_by(gone.c.last.desc(), gone.c.id, sim.rank)
    )


_SUBSTITUTES = _substitutes_statement()


def substitutes_for(
    conn: Connection,
    model: LiveModel,
    customer: CustomerRef,
    now: datetime,
    limit: int = 3,
    per_product: int = 3,
) -> list[Substitute]:
    """Products the customer bought in the last year that cannot be bought today (at most
    `limit`, most recently bought first) and that have available similar products, each with up
    to `per_product` of them: only what may be served to this customer (available, not excluded
    by a rule for its segment, entitled, not 👎-hidden). One round trip."""
    today = now.date()
    rows = conn.execute(
        _SUBSTITUTES,
        {
            "c": customer.id,
            "seg": customer.segment,
            "m": model.id,
            "today": today,
            "since": now - timedelta(days=SUBSTITUTE_HISTORY_DAYS),
            "now": now,
            "limit": limit,
        },
    ).all()
    width = len(COLUMNS)
    found: dict[int, Substitute] = {}
    for row in rows:
        product, bought_last = ProductRef(*row[:width]), row[width]
        entry = found.setdefault(
            product.id, Substitute(product, product.unavailable(today), bought_last, ())
        )
        if len(entry.similar) < per_product:
            like_it = ProductRef(*row[width + 1 :])
            found[product.id] = replace(entry, similar=(*entry.similar, like_it))
    return list(found.values())
