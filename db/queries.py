"""The reads (and the one write) the Slack app makes. Bound parameters only; no model code here.

Serving is keyed reads of what the model side precomputed for the one live model version.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from rapidfuzz import fuzz, process, utils
from sqlalchemy import and_, bindparam, case, delete, exists, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from db.models import (
    ColdStartRecommendation,
    Customer,
    Feedback,
    ModelVersion,
    Product,
    Recommendation,
    RepAssignment,
    SalesRep,
    Transaction,
)

MAX_CHOICES = 5


@dataclass(frozen=True)
class CustomerRef:
    id: int
    external_id: str
    name: str
    segment: str | None
    region: str | None


@dataclass(frozen=True)
class Match:
    """Outcome of a customer lookup. `total` counts all candidates when `customers` is cut to 5."""

    kind: Literal["one", "many", "none", "not_yours"]
    customers: tuple[CustomerRef, ...] = ()
    closest: tuple[str, ...] = ()
    total: int = 0
    fuzzy: bool = False  # choices are guesses at a misspelling, not names containing the text


@dataclass(frozen=True)
class LiveModel:
    id: int
    arch: str
    trained_at: datetime | None
    promoted_at: datetime | None
    data_from: datetime | None
    data_to: datetime | None
    metrics: dict
    n_customers: int | None
    n_products: int | None


@dataclass(frozen=True)
class Pick:
    product_id: int
    name: str
    category: str | None
    score: float
    reason: str


@dataclass(frozen=True)
class AccountSummary:
    last_order: datetime | None
    lines_12m: int
    amount_12m: float | None


_CUSTOMER_COLUMNS = (
    Customer.id,
    Customer.external_id,
    Customer.name,
    Customer.segment,
    Customer.region,
)


def _ref(row) -> CustomerRef:
    return CustomerRef(row.id, row.external_id, row.name, row.segment, row.region)


def _q(session: Session, statement, params: dict | None = None):
    """Run a read on the session's connection: same transaction, without the ORM's per-statement
    overhead (these reads select columns, never entities), which matters at 200 requests/s."""
    return session.connection().execute(statement, params)


def ping(session: Session) -> None:
    _q(session, text("SELECT 1"))


def live_model(session: Session) -> LiveModel | None:
    row = _q(
        session,
        select(
            ModelVersion.id,
            ModelVersion.arch,
            ModelVersion.trained_at,
            ModelVersion.promoted_at,
            ModelVersion.data_from,
            ModelVersion.data_to,
            ModelVersion.metrics,
            ModelVersion.n_customers,
            ModelVersion.n_products,
        )
        .where(ModelVersion.status == "live")
        .order_by(ModelVersion.id.desc()),
    ).first()
    if row is None:
        return None
    return LiveModel(
        row.id,
        row.arch,
        row.trained_at,
        row.promoted_at,
        row.data_from,
        row.data_to,
        dict(row.metrics or {}),
        row.n_customers,
        row.n_products,
    )


def customer_by_id(session: Session, customer_id: int) -> CustomerRef | None:
    row = _q(session, select(*_CUSTOMER_COLUMNS).where(Customer.id == customer_id)).first()
    return _ref(row) if row else None


class NameIndex:
    """Customer ids with their normalised names, and a fast "which names contain this word"."""

    def __init__(self, ids: list[int], keys: list[str]) -> None:
        self.ids, self.keys = ids, keys
        # One string holding every name: str.find scans it in C, far faster than a Python loop.
        self._blob = "\n".join(keys)
        self._starts: list[int] = []
        offset = 0
        for key in keys:
            self._starts.append(offset)
            offset += len(key) + 1

    def containing(self, word: str) -> list[int]:
        """Positions (in ids/keys) of the names containing `word`, in order."""
        out, blob, starts = [], self._blob, self._starts
        pos = blob.find(word)
        while pos != -1:
            n = bisect.bisect_right(starts, pos) - 1
            out.append(n)
            pos = blob.find(word, starts[n + 1]) if n + 1 < len(starts) else -1
        return out

    def count(self, word: str) -> int:
        return self._blob.count(word)

    def only(self, allowed: frozenset[int]) -> NameIndex:
        kept = [(i, k) for i, k in zip(self.ids, self.keys, strict=True) if i in allowed]
        return NameIndex([i for i, _ in kept], [k for _, k in kept])


class CustomerNames:
    """Every customer's id and name, cached per process for the partial and fuzzy lookups.

    Exact lookups always read the database; a customer imported a moment ago is found by partial
    or misspelt name once the cache refreshes (every `ttl_s` seconds).
    """

    def __init__(self, ttl_s: float = 300.0) -> None:
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._loaded_at = float("-inf")
        self._index = NameIndex([], [])

    def get(self, session: Session) -> NameIndex:
        with self._lock:
            if time.monotonic() - self._loaded_at > self.ttl_s:
                rows = _q(session, select(Customer.id, Customer.name).order_by(Customer.name))
                pairs = [(r.id, utils.default_process(r.name)) for r in rows]
                self._index = NameIndex([i for i, _ in pairs], [k for _, k in pairs])
                self._loaded_at = time.monotonic()
            return self._index

    def invalidate(self) -> None:
        with self._lock:
            self._loaded_at = float("-inf")


def find_customer(
    session: Session, query: str, names: CustomerNames, allowed: frozenset[int] | None = None
) -> Match:
    """External id, then case-insensitive name, then partial name, then fuzzy name.

    `allowed` (when given) limits the search to those customer ids, so a restricted rep never
    sees the names of other reps' accounts; an exact hit outside it is reported as not_yours.
    """
    exact = exact_match(session, query, allowed)
    if exact is not None:
        return exact
    index = names.get(session)
    if allowed is not None:
        index = index.only(allowed)
    ids, keys = index.ids, index.keys
    key = utils.default_process(query)
    if not key:
        return Match("none")
    chosen, total = _partial(index, key)
    if chosen:
        found = _refs(session, chosen)
        return Match("one" if total == 1 else "many", tuple(found), total=total)
    guesses, sure = _fuzzy(ids, keys, key)
    if guesses:
        found = _refs(session, guesses)
        return Match("one" if sure else "many", tuple(found), total=len(found), fuzzy=True)
    closest = process.extract(
        key, keys, scorer=fuzz.QRatio, processor=None, limit=3, score_cutoff=40
    )
    return Match("none", closest=tuple(_names(session, [ids[i] for _, _, i in closest])))


def exact_match(
    session: Session, query: str, allowed: frozenset[int] | None = None
) -> Match | None:
    """The customers whose external id (else name) is exactly the text, ignoring case."""
    exact = _exact(session, query)
    if not exact:
        return None
    visible = [c for c in exact if allowed is None or c.id in allowed]
    if not visible:
        return Match("not_yours")
    kind = "one" if len(visible) == 1 else "many"
    return Match(kind, tuple(visible[:MAX_CHOICES]), total=len(visible))


_EXACT = (
    select(*_CUSTOMER_COLUMNS)
    .where(
        or_(
            func.lower(Customer.external_id) == bindparam("q"),
            func.lower(Customer.name) == bindparam("q"),
        )
    )
    .order_by(Customer.external_id)
)


def _exact(session: Session, query: str) -> list[CustomerRef]:
    """Customers whose external id, or else whose name, equals the text (ignoring case)."""
    lowered = query.lower()
    rows = _q(session, _EXACT, {"q": lowered}).all()
    by_id = [r for r in rows if r.external_id.lower() == lowered]
    return [_ref(r) for r in by_id or rows]


def _partial(index: NameIndex, key: str) -> tuple[list[int], int]:
    """Names containing every word typed; names that start with the text come first."""
    ids, keys = index.ids, index.keys
    words = sorted(set(key.split()), key=index.count)
    first, rest = words[0], words[1:]
    hits = index.containing(first)  # start from the rarest word
    if rest:
        hits = [n for n in hits if all(w in keys[n] for w in rest)]
    hits.sort(key=lambda n: (not keys[n].startswith(key), keys[n]))
    return [ids[n] for n in hits[:MAX_CHOICES]], len(hits)


def _fuzzy(ids: list[int], keys: list[str], key: str) -> tuple[list[int], bool]:
    """Small typos: (guesses, sure). Sure means one clear, close winner; else guesses to offer."""
    scored = process.extract(
        key, keys, scorer=fuzz.ratio, processor=None, limit=MAX_CHOICES, score_cutoff=75
    )
    if not scored:
        return [], False
    best = scored[0][1]
    if best >= 88 and (len(scored) == 1 or scored[1][1] <= best - 5):
        return [ids[scored[0][2]]], True
    return [ids[i] for _, _, i in scored], False


def _refs(session: Session, ids: list[int]) -> list[CustomerRef]:
    rows = _q(session, select(*_CUSTOMER_COLUMNS).where(Customer.id.in_(ids))).all()
    by_id = {r.id: _ref(r) for r in rows}
    return [by_id[i] for i in ids if i in by_id]


def _names(session: Session, ids: list[int]) -> list[str]:
    return [c.name for c in _refs(session, ids)]


_RECENT = Transaction.occurred_at >= bindparam("since")
_SUMMARY = select(
    func.max(Transaction.occurred_at),
    func.coalesce(func.sum(case((_RECENT, 1), else_=0)), 0),
    func.sum(case((_RECENT, Transaction.amount), else_=None)),
).where(Transaction.customer_id == bindparam("c"))


def account_summary(session: Session, customer_id: int, now: datetime) -> AccountSummary:
    row = _q(session, _SUMMARY, {"c": customer_id, "since": now - timedelta(days=365)}).one()
    return AccountSummary(row[0], int(row[1]), row[2])


def _not_hidden(customer_id, product_id):
    return ~exists().where(
        Feedback.customer_id == customer_id, Feedback.product_id == product_id, Feedback.vote < 0
    )


def _picks_statement():
    rec, new = Recommendation, aliased(Recommendation)
    is_new = exists().where(
        new.model_version_id == rec.model_version_id,
        new.customer_id == rec.customer_id,
        new.mode == "new",
        new.product_id == rec.product_id,
    )
    # The account summary rides along as uncorrelated scalar subqueries, which the database
    # evaluates once per statement: one round trip less on every answer.
    summary = [
        select(column).where(Transaction.customer_id == bindparam("c")).scalar_subquery()
        for column in _SUMMARY.selected_columns
    ]
    return (
        select(
            rec.mode, Product.id, Product.name, Product.category, rec.score, rec.reason, *summary
        )
        .join(Product, Product.id == rec.product_id)
        .where(
            rec.model_version_id == bindparam("m"),
            rec.customer_id == bindparam("c"),
            rec.mode.in_(("all", "new")),
            rec.rank <= bindparam("max_rank"),
            or_(rec.mode == "new", ~is_new),
            _not_hidden(rec.customer_id, rec.product_id),
        )
        .order_by(rec.mode, rec.rank)
    )


# Built once: the hot path skips re-building the statement on every request.
_PICKS = _picks_statement()


def picks(
    session: Session, model_id: int, customer_id: int, now: datetime, limit: int = 10
) -> tuple[dict[str, list[Pick]], AccountSummary]:
    """Top `limit` of one customer's two lists, minus 👎'd products, by rank; and its summary.

    'reorder': the 'all' list without the products of the 'new' list (so, ones bought before);
    'new': the 'new' list. Only the first `limit` + 15 ranks are read, leaving room for hidden
    products; reading all 50 of each list doubled the cost of this, the main query.
    """
    since = now - timedelta(days=365)
    rows = _q(
        session, _PICKS, {"m": model_id, "c": customer_id, "max_rank": limit + 15, "since": since}
    ).all()
    out: dict[str, list[Pick]] = {"reorder": [], "new": []}
    for mode, *rest in rows:
        kept = out["reorder" if mode == "all" else "new"]
        if len(kept) < limit:
            kept.append(Pick(*rest[:5]))
    if not rows:
        return out, account_summary(session, customer_id, now)
    last, lines, amount = rows[0][6:]
    return out, AccountSummary(last, int(lines or 0), amount)


def cold_start_picks(
    session: Session, model_id: int, segment: str | None, customer_id: int, limit: int = 50
) -> tuple[str, list[Pick]]:
    """The popularity list of the customer's segment, else the global one ('')."""
    for seg in ([segment] if segment else []) + [""]:
        rows = _q(
            session,
            select(
                Product.id,
                Product.name,
                Product.category,
                ColdStartRecommendation.score,
                ColdStartRecommendation.reason,
            )
            .join(Product, Product.id == ColdStartRecommendation.product_id)
            .where(
                ColdStartRecommendation.model_version_id == model_id,
                ColdStartRecommendation.segment == seg,
                _not_hidden(customer_id, ColdStartRecommendation.product_id),
            )
            .order_by(ColdStartRecommendation.rank)
            .limit(limit),
        ).all()
        if rows:
            return seg, [Pick(*r) for r in rows]
    return "", []


def top_picks_for(
    session: Session, model_id: int, customer_ids: Iterable[int], per_customer: int = 3
) -> dict[int, list[Pick]]:
    """The first few 'all' picks of several customers in one read (for App Home)."""
    ids = list(customer_ids)
    if not ids:
        return {}
    rows = _q(
        session,
        select(
            Recommendation.customer_id,
            Product.id,
            Product.name,
            Product.category,
            Recommendation.score,
            Recommendation.reason,
        )
        .join(Product, Product.id == Recommendation.product_id)
        .where(
            Recommendation.model_version_id == model_id,
            Recommendation.customer_id.in_(ids),
            Recommendation.mode == "all",
            Recommendation.rank <= per_customer + 10,
            _not_hidden(Recommendation.customer_id, Recommendation.product_id),
        )
        .order_by(Recommendation.customer_id, Recommendation.rank),
    )
    out: dict[int, list[Pick]] = {i: [] for i in ids}
    for customer_id, *rest in rows:
        if len(out[customer_id]) < per_customer:
            out[customer_id].append(Pick(*rest))
    return out


def rep_customers(session: Session, slack_user_id: str, limit: int = 200) -> list[CustomerRef]:
    rows = _q(
        session,
        select(*_CUSTOMER_COLUMNS)
        .join(RepAssignment, RepAssignment.customer_id == Customer.id)
        .join(SalesRep, SalesRep.id == RepAssignment.rep_id)
        .where(SalesRep.slack_user_id == slack_user_id)
        .order_by(Customer.name)
        .limit(limit),
    ).all()
    return [_ref(r) for r in rows]


def assigned_customer_ids(session: Session, slack_user_id: str) -> frozenset[int]:
    rows = _q(
        session,
        select(RepAssignment.customer_id)
        .join(SalesRep, SalesRep.id == RepAssignment.rep_id)
        .where(SalesRep.slack_user_id == slack_user_id),
    ).scalars()
    return frozenset(rows)


def is_assigned(session: Session, slack_user_id: str, customer_id: int) -> bool:
    found = _q(
        session,
        select(RepAssignment.customer_id)
        .join(SalesRep, SalesRep.id == RepAssignment.rep_id)
        .where(SalesRep.slack_user_id == slack_user_id, RepAssignment.customer_id == customer_id),
    ).first()
    return found is not None


def product_name(session: Session, product_id: int) -> str | None:
    return _q(session, select(Product.name).where(Product.id == product_id)).scalar()


def record_feedback(
    session: Session,
    customer_id: int,
    product_id: int,
    slack_user_id: str,
    vote: int,
    model_id: int | None,
) -> None:
    """Store (or replace) this user's vote on this product for this customer; commits."""
    where = and_(
        Feedback.customer_id == customer_id,
        Feedback.product_id == product_id,
        Feedback.slack_user_id == slack_user_id,
    )
    values = {"vote": vote, "model_version_id": model_id, "created_at": func.now()}
    for _ in range(2):
        if session.execute(update(Feedback).where(where).values(**values)).rowcount:
            session.commit()
            return
        session.add(
            Feedback(
                customer_id=customer_id,
                product_id=product_id,
                slack_user_id=slack_user_id,
                vote=vote,
                model_version_id=model_id,
            )
        )
        try:
            session.commit()
            return
        except IntegrityError:  # a concurrent click inserted it first; update that row instead
            session.rollback()


def hidden_products(session: Session, customer_id: int) -> list[tuple[int, str, list[str]]]:
    """Products 👎'd for this customer: (product id, name, Slack users who voted it down)."""
    rows = session.execute(
        select(Product.id, Product.name, Feedback.slack_user_id)
        .join(Product, Product.id == Feedback.product_id)
        .where(Feedback.customer_id == customer_id, Feedback.vote < 0)
        .order_by(Product.name, Feedback.slack_user_id)
    )
    out: dict[int, tuple[int, str, list[str]]] = {}
    for product_id, name, user in rows:
        out.setdefault(product_id, (product_id, name, []))[2].append(user)
    return list(out.values())


def unhide(session: Session, customer_id: int, product_id: int) -> int:
    """Drop every 👎 on this product for this customer; commits; returns how many."""
    result = session.execute(
        delete(Feedback).where(
            Feedback.customer_id == customer_id,
            Feedback.product_id == product_id,
            Feedback.vote < 0,
        )
    )
    session.commit()
    return result.rowcount
