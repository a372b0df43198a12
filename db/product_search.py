"""Finding a product from typed text: external id, then name, then names containing every word.

Case-insensitive, bound parameters only (LIKE wildcards in the text are escaped).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import Connection, and_, bindparam, func, or_, select

from db.availability import unavailable_reason
from db.models import Product

MAX_CHOICES = 5


@dataclass(frozen=True)
class ProductRef:
    id: int
    external_id: str
    name: str
    category: str | None
    status: str = "active"
    available_from: date | None = None
    available_until: date | None = None

    def unavailable(self, today: date) -> str:
        """Why the product cannot be bought on `today` ("discontinued", "out of stock", …), or
        "" when it can."""
        return unavailable_reason(self.status, self.available_from, self.available_until, today)


@dataclass(frozen=True)
class ProductMatch:
    kind: Literal["one", "many", "none"]
    products: tuple[ProductRef, ...] = ()
    total: int = 0


COLUMNS = (
    Product.id,
    Product.external_id,
    Product.name,
    Product.category,
    Product.status,
    Product.available_from,
    Product.available_until,
)

_EXACT = (
    select(*COLUMNS)
    .where(
        or_(
            func.lower(Product.external_id) == bindparam("q"),
            func.lower(Product.name) == bindparam("q"),
        )
    )
    .order_by(Product.external_id)
)


def _match(found: list[ProductRef], total: int) -> ProductMatch:
    if not found:
        return ProductMatch("none")
    return ProductMatch("one" if total == 1 else "many", tuple(found[:MAX_CHOICES]), total)


def find_product(conn: Connection, text: str) -> ProductMatch:
    """The product whose external id, else name, is the text; else those whose names contain
    every word typed (the shortest names first)."""
    query = " ".join(text.split()).lower()
    if not query:
        return ProductMatch("none")
    rows = [ProductRef(*r) for r in conn.execute(_EXACT, {"q": query})]
    by_id = [p for p in rows if p.external_id.lower() == query]
    exact = by_id or rows
    if exact:
        return _match(exact, len(exact))
    words = and_(*(func.lower(Product.name).contains(w, autoescape=True) for w in query.split()))
    total = conn.execute(select(func.count()).select_from(Product).where(words)).scalar_one()
    found = conn.execute(
        select(*COLUMNS)
        .where(words)
        .order_by(func.length(Product.name), Product.name)
        .limit(MAX_CHOICES)
    ).all()
    return _match([ProductRef(*r) for r in found], total)
