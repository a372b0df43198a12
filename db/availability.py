"""What may be served, as SQL conditions over a candidate product row (status, availability
window, exclude rules, entitlements). Every read in db/serving.py and db/similar.py uses them,
so a change in the catalogue or the rules shows in the next answer, with no cache to go stale.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_
from sqlalchemy.orm import aliased

from db.models import Entitlement, Product, Rule


def available(today: Any) -> ColumnElement[bool]:
    """The product is active and inside its availability window on `today` (ends inclusive).

    `today`: a date or a bound parameter of type Date."""
    return and_(
        Product.status == "active",
        or_(Product.available_from.is_(None), Product.available_from <= today),
        or_(Product.available_until.is_(None), Product.available_until >= today),
    )


def rule_matches(kinds: tuple[str, ...], segment: Any) -> ColumnElement[bool]:
    """A rule of one of `kinds` names this product or its category, for everyone or for the
    customer's `segment` (a column or a bound parameter). Two EXISTS probes of
    ix_rules_kind_target_value, one per target, rather than one OR that no index serves."""
    probes = []
    for target, value in (("product", Product.external_id), ("category", Product.category)):
        r = aliased(Rule)
        kind = r.kind == kinds[0] if len(kinds) == 1 else r.kind.in_(kinds)
        scope = or_(r.segment.is_(None), r.segment == segment)
        probes.append(exists().where(kind, r.target == target, r.value == value, scope))
    return or_(*probes)


def entitled(customer_id: Any) -> ColumnElement[bool]:
    """The customer has no entitlement list, or it allows this product or its category."""
    listed = aliased(Entitlement)
    conds = [~exists().where(listed.customer_id == customer_id)]
    for target, value in (("product", Product.external_id), ("category", Product.category)):
        e = aliased(Entitlement)
        conds.append(
            exists().where(e.customer_id == customer_id, e.target == target, e.value == value)
        )
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
