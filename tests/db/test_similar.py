"""Reading similar products and substitutes (db/similar.py) and finding products
(db/product_search.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Engine, insert, update

from db import product_search, serving, similar
from db.models import Product, Rule, Transaction
from db.queries import CustomerRef, customer_by_id
from tests.bot import fixtures, similar_fixtures

NOW = fixtures.NOW


def _live(conn) -> serving.LiveModel:
    model = serving.live_model(conn)
    assert model is not None
    return model


def _customer(conn, customer_id: int) -> CustomerRef:
    customer = customer_by_id(conn, customer_id)
    assert customer is not None
    return customer


def test_find_product_by_id_name_and_words_with_wildcards_kept_literal(engine: Engine) -> None:
    fixtures.fill(engine)
    similar_fixtures.fill(engine)
    with engine.connect() as conn:
        by_id = product_search.find_product(conn, "p013")
        assert (by_id.kind, by_id.products[0].name) == ("one", "Oat milk 1L")
        by_name = product_search.find_product(conn, "  DAIRY   item 04 ")
        assert (by_name.kind, by_name.products[0].external_id) == ("one", "P004")
        words = product_search.find_product(conn, "item dairy")
        assert words.kind == "many" and words.total == 11 and len(words.products) == 5
        assert product_search.find_product(conn, "%").kind == "none"
        assert product_search.find_product(conn, "_").kind == "none"
        assert product_search.find_product(conn, "").kind == "none"


def test_similar_to_keeps_rank_order_and_only_what_can_be_bought(engine: Engine) -> None:
    fixtures.fill(engine)
    similar_fixtures.fill(engine)
    today = NOW.date()
    with engine.begin() as conn:
        model = _live(conn)
        ids = [p.id for p in similar.similar_to(conn, model.id, [13], 10, today)[13]]
        assert ids == [8, 9, 10, 11]  # 14 is out of stock
        later = date(2026, 12, 1)
        conn.execute(update(Product).where(Product.id == 9).values(available_from=later))
        conn.execute(
            update(Product).where(Product.id == 10).values(available_until=date(2026, 11, 26))
        )
        conn.execute(
            update(Product).where(Product.id == 11).values(available_until=today)  # inclusive
        )
        got = similar.similar_to(conn, model.id, [13, 1, 99], 2, today)
        assert [p.id for p in got[13]] == [8, 11]
        assert [p.id for p in got[1]] == [2, 3] and got[99] == []
        # another version's rows are never read
        assert similar.similar_to(conn, fixtures.OLD_ID, [13], 5, today)[13] == []


def test_substitutes_only_for_recent_net_purchases_of_unavailable_products(
    engine: Engine,
) -> None:
    fixtures.fill(engine)
    similar_fixtures.fill(engine)
    with engine.begin() as conn:
        model = _live(conn)
        subs = similar.substitutes_for(conn, model, _customer(conn, similar_fixtures.GRILL), NOW)
        assert [(s.product.id, s.why) for s in subs] == [(13, "discontinued")]
        assert subs[0].last_bought == datetime(2026, 10, 1, 9)
        assert [p.id for p in subs[0].similar] == [8, 9, 10]
        # a rule that excludes P008 for restaurants applies to substitutes as to every answer
        conn.execute(
            insert(Rule).values(
                name="no P008",
                kind="exclude",
                target="product",
                value="P008",
                segment="Restaurants",
            )
        )
        grill = _customer(conn, similar_fixtures.GRILL)
        assert [p.id for p in similar.substitutes_for(conn, model, grill, NOW)[0].similar] == [
            9,
            10,
            11,
        ]
        # product 1 becomes unavailable for Acme Bistro (bought 2026-11-24): 2, 3, (13: gone), 4
        conn.execute(update(Product).where(Product.id == 1).values(status="out_of_stock"))
        subs = similar.substitutes_for(conn, model, _customer(conn, 1), NOW)
        assert [(s.product.id, s.why, [p.id for p in s.similar]) for s in subs] == [
            (1, "out of stock", [2, 3, 4])
        ]
        # a purchase fully returned is no purchase; one older than a year is forgotten
        conn.execute(
            insert(Transaction).values(
                customer_id=3, product_id=13, quantity=2, occurred_at=datetime(2026, 11, 1)
            )
        )
        conn.execute(
            insert(Transaction).values(
                customer_id=3, product_id=13, quantity=-2, occurred_at=datetime(2026, 11, 2)
            )
        )
        conn.execute(
            insert(Transaction).values(
                customer_id=5, product_id=13, quantity=1, occurred_at=datetime(2025, 11, 1)
            )
        )
        assert similar.substitutes_for(conn, model, _customer(conn, 3), NOW) == []
        assert similar.substitutes_for(conn, model, _customer(conn, 5), NOW) == []


def test_source_names_what_the_version_serves(engine: Engine) -> None:
    fixtures.fill(engine)
    with engine.connect() as conn:
        assert similar.source(_live(conn)) == ""
    similar_fixtures.fill(engine)
    with engine.connect() as conn:
        assert similar.source(_live(conn)) == "embeddings"
