"""Catalogue status and business rules at answer time (db/serving.py), on SQLite and
PostgreSQL: what is left out, what is re-ordered, and that a change shows in the next answer."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, insert, update

from db import entitlements, rules, serving
from db.arrange import Policy
from db.models import Entitlement, Product, Recommendation
from tests.bot import fixtures
from tests.db.catalogue_helpers import add, fill, ids, sections, served, set_status

CUSTOMERS = [c[0] for c in fixtures.CUSTOMERS]


def everything_served(engine: Engine) -> set[int]:
    """Every product id any surface would show any customer: answers (cold starts included),
    App Home / digest sections and both exports."""
    seen: set[int] = set()
    for customer_id in CUSTOMERS:
        s = served(engine, customer_id, n=10)
        seen |= set(ids(s.reorder)) | set(ids(s.new))
    with engine.connect() as conn:
        model = serving.live_model(conn)
        assert model is not None
        for found in serving.sections_for(conn, model, CUSTOMERS, 10, fixtures.NOW).values():
            seen |= set(ids(found["reorder"])) | set(ids(found["new"]))
        for section in ("reorder", "new"):
            rows = serving.export_rows(conn, model, section, 10, fixtures.NOW)
            seen |= {int(r.product_external_id[1:]) for r in rows}
    return seen


@pytest.mark.parametrize(
    "change",
    [
        {"status": "discontinued"},
        {"status": "out_of_stock"},
        {"available_until": date(2026, 11, 26)},  # ended the day before fixtures.NOW
        {"available_from": date(2026, 11, 28)},  # starts the day after
    ],
)
def test_an_unavailable_product_is_never_served(engine: Engine, change: dict) -> None:
    fill(engine)
    before = everything_served(engine)
    assert {1, 5, 11} <= before  # a reorder, a new pick, a cold start pick
    with engine.begin() as conn:
        conn.execute(update(Product).where(Product.id.in_([1, 5, 11])).values(**change))
    after = everything_served(engine)
    assert not {1, 5, 11} & after
    assert before - {1, 5, 11} <= after  # nothing else went
    assert sections(engine, 1)[0] == [2, 3, 4]


def test_availability_dates_are_inclusive(engine: Engine) -> None:
    fill(engine)
    today = fixtures.NOW.date()
    with engine.begin() as conn:
        conn.execute(
            update(Product)
            .where(Product.id == 1)
            .values(available_from=today, available_until=today)
        )
    assert sections(engine, 1)[0][0] == 1


def test_an_entitlement_list_restricts_answers(engine: Engine) -> None:
    fill(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(Entitlement),
            [
                {"customer_id": 1, "target": "product", "value": "P002"},
                {"customer_id": 1, "target": "category", "value": "Bakery"},
            ],
        )
    assert sections(engine, 1, n=10) == ([2], [5, 6, 7, 8])
    assert sections(engine, 2, n=10) == ([1, 2, 3, 4], [5, 6, 7, 8, 9, 10])  # no list: all
    with engine.begin() as conn:
        entitlements.clear_entitlements(conn, 1)
    assert sections(engine, 1, n=10) == ([1, 2, 3, 4], [5, 6, 7, 8, 9, 10])


def test_an_exclude_rule_can_be_scoped_to_a_segment(engine: Engine) -> None:
    fill(engine)
    add(engine, "no bakery for restaurants", "exclude", category="Bakery", segment="Restaurants")
    add(engine, "P003 recalled", "exclude", product="P003")
    # Acme Bistro is a restaurant: two new picks left, and two of its segment's popular ones
    assert sections(engine, 1) == ([1, 2, 4], [9, 10, 11, 12])
    assert sections(engine, 3) == ([1, 2, 4], [5, 6, 7, 8, 9])  # Northwind Hotel is not


def test_a_boost_reorders_within_the_list_and_says_so(engine: Engine) -> None:
    fill(engine)
    assert sections(engine, 1, n=3)[0] == [1, 2, 3]
    add(engine, "strategic", "boost", product="P004", multiplier=1.05)  # 0.96 -> 1.008
    s = served(engine, 1, n=3)
    assert ids(s.reorder) == [4, 1, 2]
    assert s.reorder[0].reason == f"{fixtures.REORDER_REASON} · boosted: strategic"
    assert s.reorder[0].score == pytest.approx(0.96)  # the model's score: strength unchanged
    assert all("boosted" not in p.reason for p in s.reorder[1:])


def test_a_boost_lifts_a_product_from_deep_in_the_list(engine: Engine) -> None:
    """Rank 40 of 40 is outside the ranks an answer reads for every row; a rule naming it
    still reaches it."""
    fill(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(Product),
            [
                {"id": i, "external_id": f"P{i:03d}", "name": f"Snack {i}", "category": "Snacks"}
                for i in range(100, 140)
            ],
        )
        conn.execute(
            insert(Recommendation),
            [
                {
                    "model_version_id": fixtures.LIVE_ID,
                    "customer_id": 4,  # Brand New Cafe: no lists in the fixtures
                    "mode": "new",
                    "rank": rank,
                    "product_id": 99 + rank,
                    "score": 1 - rank / 100,
                    "reason": "peers buy it",
                }
                for rank in range(1, 41)
            ],
        )
    assert sections(engine, 4, n=3)[1] == [100, 101, 102]
    add(engine, "clear the shelf", "boost", product="P139", multiplier=2.0)  # 0.60 -> 1.20
    assert sections(engine, 4, n=3)[1] == [139, 100, 101]


def test_a_promotion_slot_takes_the_last_place(engine: Engine) -> None:
    fill(engine)
    assert sections(engine, 1, n=3)[1] == [5, 6, 7]
    add(engine, "spring campaign", "promote", product="P010")
    s = served(engine, 1, n=3)
    assert ids(s.new) == [5, 6, 10]
    assert s.new[2].reason.endswith(" · promoted: spring campaign")
    # two slots: the two best promoted products take the last two places
    add(engine, "drinks week", "promote", category="Drinks")
    assert sections(engine, 1, n=3, policy=Policy(promotion_slots=2))[1] == [5, 9, 10]
    assert sections(engine, 1, n=3, policy=Policy(promotion_slots=0))[1] == [5, 6, 7]


def test_a_promoted_product_already_in_the_top_keeps_its_place(engine: Engine) -> None:
    fill(engine)
    add(engine, "bakery days", "promote", product="P005")
    s = served(engine, 1, n=3)
    assert ids(s.new) == [5, 6, 7]
    assert "promoted" not in s.new[0].reason  # the model put it there: nothing was changed


def test_promotion_needs_the_customers_own_list(engine: Engine) -> None:
    fill(engine)
    add(engine, "cheese promo", "promote", product="P012")  # on no list of customer 1
    assert sections(engine, 1, n=3) == ([1, 2, 3], [5, 6, 7])


def test_the_diversity_cap_holds(engine: Engine) -> None:
    fill(engine)
    capped = Policy(max_per_category=2)
    assert sections(engine, 1, n=4) == ([1, 2, 3, 4], [5, 6, 7, 8])
    assert sections(engine, 1, n=4, policy=capped) == ([1, 2], [5, 6, 9, 10])
    # a promotion does not break the cap either: Bakery is full, so P007 cannot take the slot
    add(engine, "more bread", "promote", product="P007")
    assert sections(engine, 1, n=4, policy=capped)[1] == [5, 6, 9, 10]


def test_a_rule_change_shows_in_the_next_answer_without_retraining(engine: Engine) -> None:
    fill(engine)
    assert sections(engine, 1, n=3)[0] == [1, 2, 3]  # the rules are now cached, version 0
    add(engine, "strategic", "boost", product="P003", multiplier=1.5)
    assert sections(engine, 1, n=3)[0] == [3, 1, 2]
    with engine.begin() as conn:
        rules.remove_rule(conn, "strategic")
    assert sections(engine, 1, n=3)[0] == [1, 2, 3]
    set_status(engine, "P001", "discontinued")
    assert sections(engine, 1, n=3)[0] == [2, 3, 4]
    set_status(engine, "P001", "active")
    assert sections(engine, 1, n=3)[0] == [1, 2, 3]


def test_the_fallback_to_segment_popularity_is_said(engine: Engine) -> None:
    fill(engine)
    with engine.begin() as conn:
        conn.execute(update(Product).where(Product.id == 11).values(category="Bakery"))
        conn.execute(insert(Entitlement).values(customer_id=1, target="category", value="Bakery"))
    s = served(engine, 1, n=6)
    assert ids(s.reorder) == [] and ids(s.new) == [5, 6, 7, 8, 11]
    assert (s.fallback, s.fallback_segment) == (1, "Restaurants")
    assert not s.cold_start
    # without rules, a short list stays short and nothing is said
    with engine.begin() as conn:
        entitlements.clear_entitlements(conn)
    s = served(engine, 1, n=10)
    assert ids(s.new) == [5, 6, 7, 8, 9, 10] and s.fallback == 0


def test_cold_start_lists_follow_the_rules(engine: Engine) -> None:
    fill(engine)
    s = served(engine, 4)
    assert s.cold_start and ids(s.new) == [11, 12]
    add(engine, "no drinks for restaurants", "exclude", category="Drinks", segment="Restaurants")
    s = served(engine, 4)
    assert s.cold_start and ids(s.new) == []


def test_unavailable_reorder_candidates_are_listed_with_why(engine: Engine) -> None:
    fill(engine)
    set_status(engine, "P002", "discontinued")
    with engine.begin() as conn:
        conn.execute(
            update(Product).where(Product.id == 4).values(available_until=date(2026, 1, 31))
        )
    with engine.connect() as conn:
        model = serving.live_model(conn)
        assert model is not None
        found = serving.unavailable_candidates(conn, model, 1, fixtures.NOW.date())
    assert [(p.product_id, why) for p, why in found] == [
        (2, "discontinued"),
        (4, "no longer available (until 2026-01-31)"),
    ]
