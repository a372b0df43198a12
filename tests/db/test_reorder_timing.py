"""Reorder timing: the rules on known lines, and the same answer from every read path."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.models import Transaction
from db.reorder_timing import reference_day, summarize, timings
from tests.bot import fixtures

TODAY = date(2026, 11, 20)


def every(days: int, orders: int, last: date, quantity: float = 12, amount: float | None = None):
    start = datetime(last.year, last.month, last.day, 10) - timedelta(days=days * (orders - 1))
    return [(start + timedelta(days=days * i), quantity, amount) for i in range(orders)]


@pytest.mark.parametrize(
    ("since_last", "state"),
    [(0, "not due"), (27, "not due"), (28, "due"), (41, "due"), (42, "overdue"), (84, "lapsed")],
)
def test_state_follows_the_usual_interval(since_last: int, state: str) -> None:
    t = summarize(every(28, 5, TODAY - timedelta(days=since_last)), TODAY)
    assert t is not None
    assert (t.orders, t.usual_quantity, t.interval_days, t.days_since) == (5, 12, 28, since_last)
    assert t.state == state


def test_a_weekly_product_lapses_after_four_weeks_not_three() -> None:
    three = summarize(every(7, 8, TODAY - timedelta(days=21)), TODAY)
    four = summarize(every(7, 8, TODAY - timedelta(days=28)), TODAY)
    assert three is not None and four is not None
    assert (three.state, four.state) == ("overdue", "lapsed")


def test_two_orders_are_no_rhythm() -> None:
    t = summarize(every(14, 2, TODAY - timedelta(days=60)), TODAY)
    assert t is not None and t.orders == 2 and t.interval_days is None and t.state is None
    assert t.due_in_days is None


def test_medians_not_means() -> None:
    days = [datetime(2026, 1, 1) + timedelta(days=d) for d in (0, 7, 14, 21, 120)]
    lines = [(d, q, None) for d, q in zip(days, (10, 10, 12, 10, 200), strict=True)]
    t = summarize(lines, TODAY)
    assert t is not None and t.usual_quantity == 10 and t.interval_days == 7  # not 30 or 48.4


def test_lines_of_one_day_are_one_order_and_returns_are_none() -> None:
    day = datetime(2026, 11, 2, 9)
    lines = [
        (day, 5, 50.0),
        (day + timedelta(hours=3), 7, 70.0),  # same day: one order of 12
        (day + timedelta(days=7), 12, 120.0),
        (day + timedelta(days=14), 12, 120.0),
        (day + timedelta(days=15), -3, -30.0),  # a return: not an order
    ]
    t = summarize(lines, TODAY)
    assert t is not None
    assert (t.orders, t.usual_quantity, t.interval_days) == (3, 12, 7)
    assert t.last_order == date(2026, 11, 16)


def test_value_is_money_where_amounts_exist_else_units() -> None:
    priced = summarize(every(7, 4, TODAY, quantity=12, amount=30.0), TODAY)
    units = summarize(every(7, 4, TODAY, quantity=12), TODAY)
    assert priced is not None and units is not None
    assert priced.unit_price == 2.5 and priced.value == 30 and priced.priced
    assert units.unit_price is None and units.value == 12 and not units.priced


def test_next_order_expected_while_not_due() -> None:
    t = summarize(every(14, 4, TODAY - timedelta(days=5)), TODAY)
    assert t is not None and t.state == "not due" and t.due_in_days == 9


def test_no_orders_no_timing() -> None:
    assert summarize([], TODAY) is None
    assert summarize([(datetime(2026, 11, 1), -2, None)], TODAY) is None


def test_days_count_to_the_newest_data_never_past_today() -> None:
    now = datetime(2026, 11, 27, 12)
    # no data end known: today
    assert reference_day(now, None, None) == date(2026, 11, 27)
    # data that stops three weeks ago (a demo, a paused import): its end, not today
    assert reference_day(now, datetime(2026, 11, 6), datetime(2026, 11, 5)) == date(2026, 11, 6)
    # the account bought after the model's data end: its newest purchase
    assert reference_day(now, datetime(2026, 11, 6), datetime(2026, 11, 20)) == date(2026, 11, 20)
    # never past today
    assert reference_day(now, datetime(2026, 12, 6), None) == date(2026, 11, 27)


def test_timings_reads_many_customers_at_once(engine: Engine) -> None:
    fixtures.fill(engine)
    with engine.connect() as conn:
        found = timings(conn, {3: [2, 5], 6: [3], 7: [4], 2: [1]}, fixtures.NOW, fixtures.DATA_END)
    assert set(found) == {(3, 2), (6, 3), (7, 4)}  # no lines for the others
    assert found[3, 2].state == "overdue" and found[3, 2].value == 100
    assert found[6, 3].state == "due" and found[7, 4].state == "lapsed"


def test_the_answer_and_the_digest_see_the_same_timing(engine: Engine) -> None:
    from db.attention import accounts_by_attention
    from db.queries import customer_by_id
    from db.serving import live_model, served

    fixtures.fill(engine)
    with Session(engine) as s:  # a purchase after the model's data end moves the reference day
        late = datetime(2026, 11, 25)
        s.add(Transaction(customer_id=3, product_id=9, quantity=1, occurred_at=late))
        s.commit()
    with engine.connect() as conn:
        model = live_model(conn)
        customer = customer_by_id(conn, 3)
        assert model is not None and customer is not None
        answer = served(conn, model, customer, 5, fixtures.NOW).timing[2]
        [account] = accounts_by_attention(conn, model, [customer], fixtures.NOW)
    [overdue] = [a for a in account.actions if a.kind == "overdue"]
    assert overdue.timing == answer
    assert answer.days_since == 19  # 2026-11-06 to the customer's newest purchase, 11-25
