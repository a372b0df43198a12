"""What may be served, as SQL conditions over a candidate product row (status, availability
window, exclude rules, entitlements). Every read in db/serving.py and db/similar.py uses them,
so a change in the catalogue or the rules shows in the next answer, with no cache to go stale.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, String, and_, exists, literal_column, or_, select
from sqlalchemy.orm import aliased

from db.models import RULE_KINDS, Entitlement, Product, Rule


def constant(text: str) -> Any:
    """One of recbot's own words (never user text) as an SQL string constant: shorter SQL than a
    bound parameter, which keeps an answer's statement within psycopg's cache of parsed
    queries (statements up to 4,096 characters)."""
    assert text.replace("_", "").isalnum()
    return literal_column(f"'{text}'", String)


def available(today: Any) -> ColumnElement[bool]:
    """The product is active and inside its availability window on `today` (ends inclusive).

    `today`: a date or a bound parameter of type Date."""
    return and_(
        Product.status == constant("active"),
        or_(Product.available_from.is_(None), Product.available_from <= today),
        or_(Product.available_until.is_(None), Product.available_until >= today),
    )


def rule_matches(kinds: tuple[str, ...], segment: Any) -> ColumnElement[bool]:
    """A rule of one of `kinds` names this product or its category, for everyone or for the
    customer's `segment` (a column or a bound parameter). With a bound segment the two IN
    subqueries are uncorrelated: the database reads the few matching rules once per statement
    and tests each row against them (a hashed subplan), instead of probing per row."""
    assert set(kinds) <= set(RULE_KINDS)
    # SQL constants: a bound IN list would be expanded on every execution.
    kind = Rule.kind.in_([constant(k) for k in kinds])
    scope = or_(Rule.segment.is_(None), Rule.segment == segment)
    tests = []
    for target, value in (("product", Product.external_id), ("category", Product.category)):
        named = select(Rule.value).where(kind, Rule.target == constant(target), scope)
        tests.append(value.in_(named))
    return or_(*tests)


def entitled(customer_id: Any) -> ColumnElement[bool]:
    """The customer has no entitlement list, or it allows this product or its category (read
    once per statement for a bound customer, like the rules)."""
    listed = aliased(Entitlement)
    conds: list[ColumnElement[bool]] = [~exists().where(listed.customer_id == customer_id)]
    for target, value in (("product", Product.external_id), ("category", Product.category)):
        e = aliased(Entitlement)
        allowed = select(e.value).where(e.customer_id == customer_id, e.target == constant(target))
        conds.append(value.in_(allowed))
    return or_(*conds)


def servable(customer_id: Any, segment: Any, today: Any) -> ColumnElement[bool]:
    """Available today, not excluded for this customer's segment, and entitled."""
    return and_(available(today), ~rule_matches(("exclude",), segment), entitled(customer_id))


def unavailable_reason(status: str, since: date | None, until: date | None, today: date) -> str:
    """Why a product cannot be bought today, in a rep's words ('' when it can)."""
    if status == "discontinued":
        return "discontinued"
    if status == "out_of_stock":
        return "out of stock"
    if since is not None and today < since:
        return f"available from {since.isoformat()}"
    if until is not None and today > until:
        return f"no longer available (until {until.isoformat()})"
    return ""
