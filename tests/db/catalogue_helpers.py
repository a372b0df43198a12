"""Helpers for the catalogue-rules tests: the Slack fixtures' data set with categories, and
what each surface serves, as product ids."""

from __future__ import annotations

from sqlalchemy import Engine, update

from db import catalogue, rules, serving
from db.arrange import Policy
from db.models import Product
from db.queries import customer_by_id
from db.rule_set import RuleRef
from tests.bot import fixtures

# Products 1-4 Dairy (the reorders), 5-8 Bakery, 9-12 Drinks (tests/bot/fixtures.py's lists:
# 'all' ranks 1..8 with 5..8 shown under new; 'new' ranks 5..10; Restaurants' popular 11, 12).
CATEGORIES = {**dict.fromkeys(range(1, 5), "Dairy"), **dict.fromkeys(range(5, 9), "Bakery")}
CATEGORIES.update(dict.fromkeys(range(9, 13), "Drinks"))
DEFAULT = Policy()


def fill(engine: Engine) -> None:
    fixtures.fill(engine)
    with engine.begin() as conn:
        for product_id, category in CATEGORIES.items():
            conn.execute(update(Product).where(Product.id == product_id).values(category=category))


def served(
    engine: Engine, customer_id: int, n: int = 5, policy: Policy = DEFAULT
) -> serving.Served:
    with engine.connect() as conn:
        model = serving.live_model(conn)
        assert model is not None
        customer = customer_by_id(conn, customer_id)
        assert customer is not None
        return serving.served(conn, model, customer, n, fixtures.NOW, policy)


def ids(picks: list[serving.Pick]) -> list[int]:
    return [p.product_id for p in picks]


def sections(engine: Engine, customer_id: int, n: int = 5, **kw) -> tuple[list[int], list[int]]:
    s = served(engine, customer_id, n, **kw)
    return ids(s.reorder), ids(s.new)


def add(engine: Engine, name: str, kind: str, **kw) -> RuleRef:
    rule = rules.make_rule(name, kind, **kw)
    with engine.begin() as conn:
        rules.add_rule(conn, rule)
    return rule


def set_status(engine: Engine, external_id: str, status: str) -> None:
    with engine.begin() as conn:
        catalogue.set_status(conn, external_id, status)
