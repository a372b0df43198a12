"""When and how much a customer reorders a product: its rhythm, read from `transactions`.

Per (customer, product), over the last HISTORY_DAYS up to now:
- an *order* is a calendar day with lines of that product whose quantities add up to more than
  zero (several lines on one day are one order; a day of returns is none);
- *usual quantity*: the median of the orders' quantities;
- *usual interval*: the median number of days between consecutive orders, claimed only from
  MIN_ORDERS orders on (two orders are a coincidence, not a rhythm);
- *state*: with a rhythm, `due` once the days since the last order reach the interval,
  `overdue` from 1.5 intervals, `lapsed` from 3 intervals and at least four weeks (the account
  has stopped buying it), otherwise `not due`;
- *value*: the usual quantity times the latest unit price (amount / quantity) where amounts
  exist, else the usual quantity: what ordering as usual is worth.

Days are counted up to the newest data recbot has for the account, not blindly to today: the
later of the live model's data end and the account's newest purchase, never after today. Data
that lags behind the calendar (a demo, a paused import) then does not make every reorder look
overdue; on data kept current the difference is at most the live model's age.

Indexed reads (ix_transactions_customer_occurred) for any set of customers; the rest is a
little arithmetic per pair. No model code, no Slack wording (bot/wording.py words it).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy import Connection, bindparam, func, select

from db.models import Transaction

HISTORY_DAYS = 365
MIN_ORDERS = 3
DUE, OVERDUE, LAPSED = 1.0, 1.5, 3.0  # days since the last order, in usual intervals
LAPSED_MIN_DAYS = 28

State = Literal["not due", "due", "overdue", "lapsed"]
Line = tuple[datetime, float, float | None]  # when, quantity, amount


@dataclass(frozen=True)
class Timing:
    orders: int  # order days in the window
    usual_quantity: float
    interval_days: float | None  # None: fewer than MIN_ORDERS orders, no rhythm claimed
    last_order: date
    days_since: int
    unit_price: float | None  # the latest order's amount / quantity, when it has an amount

    @property
    def state(self) -> State | None:
        """None without a rhythm."""
        if self.interval_days is None:
            return None
        ratio = self.days_since / self.interval_days
        if ratio >= LAPSED and self.days_since >= LAPSED_MIN_DAYS:
            return "lapsed"
        if ratio >= OVERDUE:
            return "overdue"
        if ratio >= DUE:
            return "due"
        return "not due"

    @property
    def due_in_days(self) -> int | None:
        """Days until the next order is expected, while it is not due yet."""
        if self.interval_days is None or self.state != "not due":
            return None
        return max(1, round(self.interval_days - self.days_since))

    @property
    def value(self) -> float:
        """The usual order's worth: in money where amounts exist, else in units."""
        price = self.unit_price if self.unit_price and self.unit_price > 0 else 1.0
        return self.usual_quantity * price

    @property
    def priced(self) -> bool:
        return bool(self.unit_price and self.unit_price > 0)


def summarize(lines: Iterable[Line], today: date) -> Timing | None:
    """One pair's timing from its lines (when, quantity, amount); None without an order."""
    days: dict[date, list[float]] = {}  # day -> [quantity, amount, quantity with an amount]
    for when, quantity, amount in lines:
        day = days.setdefault(when.date(), [0.0, 0.0, 0.0])
        day[0] += quantity
        if amount is not None:
            day[1] += amount
            day[2] += quantity
    orders = sorted((d, q, a, qa) for d, (q, a, qa) in days.items() if q > 0)
    if not orders:
        return None
    gaps = [(b[0] - a[0]).days for a, b in itertools.pairwise(orders)]
    priced = [a / qa for _, _, a, qa in orders if qa > 0 and a > 0]
    last = orders[-1][0]
    return Timing(
        orders=len(orders),
        usual_quantity=_median([q for _, q, _, _ in orders]),
        interval_days=_median(gaps) if len(orders) >= MIN_ORDERS else None,
        last_order=last,
        days_since=max(0, (today - last).days),
        unit_price=priced[-1] if priced else None,
    )


def _median(values: list[float] | list[int]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return float(ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2)


_LINES = (
    select(
        Transaction.customer_id,
        Transaction.product_id,
        Transaction.occurred_at,
        Transaction.quantity,
        Transaction.amount,
    )
    .where(
        Transaction.customer_id.in_(bindparam("customers", expanding=True)),
        Transaction.occurred_at >= bindparam("since"),
        Transaction.occurred_at <= bindparam("until"),
        Transaction.product_id.in_(bindparam("products", expanding=True)),
    )
    .order_by(Transaction.customer_id, Transaction.occurred_at)
)


_NEWEST = (
    select(Transaction.customer_id, func.max(Transaction.occurred_at))
    .where(
        Transaction.customer_id.in_(bindparam("customers", expanding=True)),
        Transaction.occurred_at <= bindparam("until"),
    )
    .group_by(Transaction.customer_id)
)


def reference_day(now: datetime, data_end: datetime | None, newest: datetime | None) -> date:
    """The day 'days since the last order' counts to (see the module's docstring)."""
    if data_end is None:
        return now.date()
    return min(now, max(data_end, newest or data_end)).date()


def timings(
    conn: Connection,
    pairs: Mapping[int, Iterable[int]],
    now: datetime,
    data_end: datetime | None = None,
    newest: Mapping[int, datetime | None] | None = None,
) -> dict[tuple[int, int], Timing]:
    """(customer id, product id) -> its timing, for the asked pairs that have orders.

    `pairs`: customer id -> the product ids wanted for it; `data_end`: the live model's;
    `newest`: each customer's newest purchase when the caller knows it (else one more read)."""
    wanted = {c: set(ps) for c, ps in pairs.items()}
    wanted = {c: ps for c, ps in wanted.items() if ps}
    if not wanted:
        return {}
    customers = sorted(wanted)
    products = sorted(set().union(*wanted.values()))
    since = now - timedelta(days=HISTORY_DAYS)
    params = {"customers": customers, "products": products, "since": since, "until": now}
    lines: dict[tuple[int, int], list[Line]] = {}
    for customer, product, when, quantity, amount in conn.execute(_LINES, params):
        if product in wanted[customer]:
            lines.setdefault((customer, product), []).append((when, quantity, amount))
    if not lines:
        return {}
    if newest is None and data_end is not None:
        newest = dict(conn.execute(_NEWEST, {"customers": customers, "until": now}).all())
    out = {}
    for (customer, product), rows in lines.items():
        today = reference_day(now, data_end, (newest or {}).get(customer))
        timing = summarize(rows, today)
        if timing is not None:
            out[customer, product] = timing
    return out
