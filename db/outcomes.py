"""Did the picks sell: what was shown (exposures) against what the customers bought after.

A product shown to a customer is a *hit* when that customer bought it within the attribution
window (ATTRIBUTION_DAYS, default 30) after it was *first* shown in the report's range; showing it
again does not count it again. Each breakdown (surface, mode, model version, rep) counts a
(customer, product) once per value, from its first showing under that value. A showing whose
window is still open and not yet bought is *open*: its rate is "so far".

Uplift compares digest lines: accounts that got them against the held-out accounts whose lines
were recorded but never sent (db/exposures.py: is_held_out). Each account's share of its lines
bought within the window is one observation; the uplift is the difference of the two arms'
means, with a 95 % normal (Welch) interval.
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, exists, func, insert, select

from db.models import (
    Exposure,
    Feedback,
    OutcomeReport,
    Product,
    RepDigestSetting,
    SalesRep,
    Transaction,
)

Pair = tuple[int, int]  # (customer id, product id)
UNKNOWN_REP = "(no rep)"


@dataclass
class Tally:
    shown: int = 0
    hits: int = 0
    open: int = 0  # not bought yet, window still open
    quantity: float = 0.0
    amount: float = 0.0

    @property
    def rate(self) -> float | None:
        return self.hits / self.shown if self.shown else None

    def add(self, bought: tuple[bool, float, float], still_open: bool) -> None:
        hit, quantity, amount = bought
        self.shown += 1
        self.hits += hit
        self.open += still_open and not hit
        self.quantity += quantity
        self.amount += amount


@dataclass(frozen=True)
class Uplift:
    exposed_accounts: int
    holdout_accounts: int
    exposed_rate: float  # mean over accounts of the share of their digest lines bought
    holdout_rate: float
    difference: float  # exposed - holdout, as a share (0.03 = 3 points)
    low: float  # 95 % interval of the difference
    high: float

    @property
    def relative(self) -> float | None:
        return self.difference / self.holdout_rate if self.holdout_rate else None


@dataclass(frozen=True)
class RepUsage:
    rep: str
    answers: int  # answers and shares the rep was shown
    digest_lines: int
    up: int
    down: int


@dataclass(frozen=True)
class ProductOutcome:
    product_id: int
    name: str
    shown: int
    hits: int
    up: int
    down: int


@dataclass
class Report:
    since: datetime
    until: datetime
    as_of: datetime
    window_days: int
    overall: Tally
    by_surface: dict[str, Tally]
    by_mode: dict[str, Tally]
    by_version: dict[int | None, Tally]
    by_rep: dict[str, Tally]
    weekly: dict[tuple[date, int | None], Tally]  # (Monday of first showing, version)
    usage: list[RepUsage]
    products: list[ProductOutcome]
    uplift: Uplift | None
    holdout_lines: Tally = field(default_factory=Tally)
    digest_lines: Tally = field(default_factory=Tally)
    up: int = 0
    down: int = 0

    def headline(self) -> dict[str, Any]:
        """The figures an admin's App Home and the retrain message show (JSON-ready)."""
        u = self.uplift
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "window_days": self.window_days,
            "shown": self.overall.shown,
            "hits": self.overall.hits,
            "open": self.overall.open,
            "hit_rate": self.overall.rate,
            "amount": round(self.overall.amount, 2),
            "up": self.up,
            "down": self.down,
            "uplift": None
            if u is None
            else {
                "difference": u.difference,
                "low": u.low,
                "high": u.high,
                "exposed_rate": u.exposed_rate,
                "holdout_rate": u.holdout_rate,
                "exposed_accounts": u.exposed_accounts,
                "holdout_accounts": u.holdout_accounts,
            },
        }


class _Purchases:
    """Each shown (customer, product)'s purchase lines after `since`, by time."""

    def __init__(self, rows: Iterable[tuple[int, int, datetime, float, float | None]]) -> None:
        lines: dict[Pair, list[tuple[datetime, float, float]]] = defaultdict(list)
        for customer_id, product_id, at, quantity, amount in rows:
            lines[customer_id, product_id].append((at, float(quantity), float(amount or 0.0)))
        self._lines = {pair: sorted(found) for pair, found in lines.items()}
        self._times = {pair: [t for t, _, _ in found] for pair, found in self._lines.items()}

    def after(self, pair: Pair, shown: datetime, window: timedelta) -> tuple[bool, float, float]:
        """(bought within the window, quantity, amount) after `shown`."""
        times = self._times.get(pair)
        if not times:
            return False, 0.0, 0.0
        start = bisect.bisect_right(times, shown)
        end = bisect.bisect_right(times, shown + window)
        found = self._lines[pair][start:end]
        return bool(found), sum(q for _, q, _ in found), sum(a for _, _, a in found)


def _in_range(since: datetime, until: datetime) -> Any:
    return and_(Exposure.shown_at >= since, Exposure.shown_at < until)


def _first_shown(conn: Connection, since: datetime, until: datetime, *keys: Any) -> list[tuple]:
    """(customer, product, *keys, first shown) of the exposed (not held-out) showings."""
    return list(
        conn.execute(
            select(Exposure.customer_id, Exposure.product_id, *keys, func.min(Exposure.shown_at))
            .where(_in_range(since, until), Exposure.held_out.is_(False))
            .group_by(Exposure.customer_id, Exposure.product_id, *keys)
        )
    )


def _purchases(conn: Connection, since: datetime, until: datetime, window: timedelta) -> _Purchases:
    shown = exists().where(
        Exposure.customer_id == Transaction.customer_id,
        Exposure.product_id == Transaction.product_id,
        _in_range(since, until),
    )
    rows = conn.execute(
        select(
            Transaction.customer_id,
            Transaction.product_id,
            Transaction.occurred_at,
            Transaction.quantity,
            Transaction.amount,
        ).where(
            Transaction.occurred_at > since,
            Transaction.occurred_at <= until + window,
            Transaction.quantity > 0,
            shown,
        )
    )
    return _Purchases(rows)


def _rep_names(conn: Connection) -> tuple[dict[int, str], dict[str, str]]:
    """Rep id -> name and Slack user id -> name (the rep record's id, or the one found by
    e-mail for the digest)."""
    by_id, by_slack = {}, {}
    for rep_id, name, slack_id, found in conn.execute(
        select(
            SalesRep.id, SalesRep.name, SalesRep.slack_user_id, RepDigestSetting.slack_user_id
        ).outerjoin(RepDigestSetting, RepDigestSetting.rep_id == SalesRep.id)
    ):
        by_id[rep_id] = name
        for slack in (slack_id, found):
            if slack:
                by_slack[slack] = name
    return by_id, by_slack


def _tally(
    groups: Iterable[tuple], purchases: _Purchases, window: timedelta, as_of: datetime
) -> dict[Any, Tally]:
    """groups: (customer, product, key, first shown) -> Tally per key."""
    out: dict[Any, Tally] = defaultdict(Tally)
    for customer_id, product_id, key, first in groups:
        out[key].add(
            purchases.after((customer_id, product_id), first, window), first + window > as_of
        )
    return dict(out)


def _welch(exposed: list[float], held: list[float], n_e: int, n_h: int) -> Uplift | None:
    if n_e < 2 or n_h < 2:
        return None
    mean_e, mean_h = statistics.fmean(exposed), statistics.fmean(held)
    se = math.sqrt(statistics.variance(exposed) / n_e + statistics.variance(held) / n_h)
    diff = mean_e - mean_h
    return Uplift(n_e, n_h, mean_e, mean_h, diff, diff - 1.96 * se, diff + 1.96 * se)


def _uplift(
    conn: Connection,
    since: datetime,
    until: datetime,
    purchases: _Purchases,
    window: timedelta,
    as_of: datetime,
) -> tuple[Uplift | None, Tally, Tally]:
    """Digest lines of exposed against held-out accounts (only lines whose window closed)."""
    rows = conn.execute(
        select(
            Exposure.customer_id,
            Exposure.product_id,
            Exposure.held_out,
            func.min(Exposure.shown_at),
        )
        .where(_in_range(since, until), Exposure.surface == "digest")
        .group_by(Exposure.customer_id, Exposure.product_id, Exposure.held_out)
    )
    per_account: dict[tuple[bool, int], list[bool]] = defaultdict(list)
    lines = {False: Tally(), True: Tally()}
    for customer_id, product_id, held, first in rows:
        bought = purchases.after((customer_id, product_id), first, window)
        lines[bool(held)].add(bought, first + window > as_of)
        if first + window <= as_of:
            per_account[bool(held), customer_id].append(bought[0])
    arms: dict[bool, list[float]] = {False: [], True: []}
    for (held, _), hits in per_account.items():
        arms[held].append(sum(hits) / len(hits))
    uplift = _welch(arms[False], arms[True], len(arms[False]), len(arms[True]))
    return uplift, lines[False], lines[True]


def _monday(moment: datetime) -> date:
    day = moment.date()
    return day - timedelta(days=day.weekday())


def _usage(
    conn: Connection, since: datetime, until: datetime, names: tuple[dict, dict]
) -> tuple[list[RepUsage], int, int]:
    by_id, by_slack = names
    answers: dict[str, int] = defaultdict(int)
    digest: dict[str, int] = defaultdict(int)
    shown = (
        select(
            Exposure.slack_user_id,
            Exposure.rep_id,
            Exposure.surface,
            Exposure.customer_id,
            Exposure.shown_at,
        )
        .where(_in_range(since, until), Exposure.held_out.is_(False))
        .distinct()
    )
    for slack_id, rep_id, surface, _, _ in conn.execute(shown):
        rep = by_id.get(rep_id) or by_slack.get(slack_id) or slack_id or UNKNOWN_REP
        if surface in ("answer", "share"):
            answers[rep] += 1
        elif surface == "digest":
            digest[rep] += 1
    votes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    up = down = 0
    for slack_id, vote in conn.execute(
        select(Feedback.slack_user_id, Feedback.vote).where(
            Feedback.created_at >= since, Feedback.created_at < until
        )
    ):
        rep = by_slack.get(slack_id) or slack_id
        votes[rep][0 if vote > 0 else 1] += 1
        up, down = (up + 1, down) if vote > 0 else (up, down + 1)
    reps = set(answers) | set(digest) | set(votes)
    usage = [
        RepUsage(
            r,
            answers.get(r, 0),
            digest.get(r, 0),
            votes[r][0] if r in votes else 0,
            votes[r][1] if r in votes else 0,
        )
        for r in reps
    ]
    usage.sort(key=lambda u: (-u.answers, -u.digest_lines, u.rep))
    return usage, up, down


def _products(
    conn: Connection, since: datetime, until: datetime, by_product: dict[int, Tally]
) -> list[ProductOutcome]:
    votes: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for product_id, vote in conn.execute(
        select(Feedback.product_id, Feedback.vote).where(
            Feedback.created_at >= since, Feedback.created_at < until
        )
    ):
        votes[product_id][0 if vote > 0 else 1] += 1
    ids = set(by_product) | set(votes)
    names = (
        dict(conn.execute(select(Product.id, Product.name).where(Product.id.in_(ids))).all())
        if ids
        else {}
    )
    out = []
    for product_id in ids:
        t = by_product.get(product_id, Tally())
        v = votes.get(product_id, [0, 0])
        out.append(
            ProductOutcome(product_id, names.get(product_id, "?"), t.shown, t.hits, v[0], v[1])
        )
    return out


def report(
    conn: Connection, since: datetime, until: datetime, window_days: int, as_of: datetime
) -> Report:
    """Everything `recbot report` shows, for showings in [since, until)."""
    window = timedelta(days=window_days)
    purchases = _purchases(conn, since, until, window)

    def by(*keys: Any) -> dict[Any, Tally]:
        rows = _first_shown(conn, since, until, *keys)
        return _tally(
            ((c, p, k[0] if len(k) == 1 else tuple(k), f) for c, p, *k, f in rows),
            purchases,
            window,
            as_of,
        )

    overall_rows = _first_shown(conn, since, until)
    overall = _tally(((c, p, None, f) for c, p, f in overall_rows), purchases, window, as_of)
    names = _rep_names(conn)
    reps = _first_shown(conn, since, until, Exposure.rep_id, Exposure.slack_user_id)
    rep_groups: dict[tuple[int, int, str], datetime] = {}
    for c, p, rep_id, slack_id, first in reps:
        label = names[0].get(rep_id) or names[1].get(slack_id) or slack_id or UNKNOWN_REP
        key = (c, p, label)
        rep_groups[key] = min(first, rep_groups.get(key, first))
    weekly_rows = _first_shown(conn, since, until, Exposure.model_version_id)
    weekly = _tally(
        ((c, p, (_monday(f), v), f) for c, p, v, f in weekly_rows), purchases, window, as_of
    )
    by_product = _tally(((c, p, p, f) for c, p, f in overall_rows), purchases, window, as_of)
    uplift, digest_lines, holdout_lines = _uplift(conn, since, until, purchases, window, as_of)
    usage, up, down = _usage(conn, since, until, names)
    return Report(
        since=since,
        until=until,
        as_of=as_of,
        window_days=window_days,
        overall=overall.get(None, Tally()),
        by_surface=by(Exposure.surface),
        by_mode=by(Exposure.mode),
        by_version=by(Exposure.model_version_id),
        by_rep=_tally(
            ((c, p, r, f) for (c, p, r), f in rep_groups.items()), purchases, window, as_of
        ),
        weekly=weekly,
        usage=usage,
        products=_products(conn, since, until, by_product),
        uplift=uplift,
        holdout_lines=holdout_lines,
        digest_lines=digest_lines,
        up=up,
        down=down,
    )


def hit_rate(
    conn: Connection, since: datetime, until: datetime, window_days: int, as_of: datetime
) -> Tally:
    """Shown (customer, product) pairs in [since, until) and how many were bought so far."""
    window = timedelta(days=window_days)
    purchases = _purchases(conn, since, until, window)
    rows = _first_shown(conn, since, until)
    return _tally(((c, p, None, f) for c, p, f in rows), purchases, window, as_of).get(
        None, Tally()
    )


def version_hit_rates(
    conn: Connection, since: datetime, until: datetime, window_days: int, as_of: datetime
) -> dict[int | None, Tally]:
    """Per model version: its showings in [since, until) whose window has closed by `as_of`."""
    window = timedelta(days=window_days)
    closed_until = min(until, as_of - window)
    if closed_until <= since:
        return {}
    purchases = _purchases(conn, since, closed_until, window)
    rows = _first_shown(conn, since, closed_until, Exposure.model_version_id)
    return _tally(rows, purchases, window, as_of)


def save(conn: Connection, found: Report, now: datetime) -> int:
    """Store the report's headline figures (in the caller's transaction); returns its id."""
    return conn.execute(
        insert(OutcomeReport)
        .values(
            created_at=now,
            since=found.since,
            until=found.until,
            window_days=found.window_days,
            figures=found.headline(),
        )
        .returning(OutcomeReport.id)
    ).scalar_one()


def latest(conn: Connection) -> tuple[datetime, dict] | None:
    """(when, headline figures) of the latest stored report."""
    row = conn.execute(
        select(OutcomeReport.created_at, OutcomeReport.figures)
        .order_by(OutcomeReport.id.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None
