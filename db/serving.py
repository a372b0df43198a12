"""What is served: the one place that reads the live version's precomputed recommendations.

Every surface (Slack answers, App Home, digests, `recbot recommend`, `recbot export`, the demo)
reads through here, so they apply the same rules: the live version only, 👎-hidden products left
out, the reorder list without the products of the new list, and the segment's popularity list for
customers without history. Keyed reads with bound parameters; no model code.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Connection,
    Integer,
    String,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from db.models import (
    ColdStartRecommendation,
    Customer,
    Feedback,
    ModelVersion,
    Product,
    Recommendation,
    Transaction,
)
from db.queries import CustomerRef
from db.reorder_timing import HISTORY_DAYS, Line, Timing, reference_day, summarize
from db.strength import Calibration, Strength, band

Section = Literal["reorder", "new"]
# How many ranks past the requested count are read, leaving room for hidden products; reading
# all 50 of each list doubled the cost of the main query.
SPARE_RANKS = 15


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
    n_rows: int | None = None
    calibration: Calibration | None = None  # from metrics: what a score means (db/strength.py)

    def chance(self, section: Section, score: float) -> float | None:
        """The calibrated chance that a pick of this section with this score gets bought."""
        if self.calibration is None:
            return None
        return self.calibration.chance("all" if section == "reorder" else "new", score)


@dataclass(frozen=True)
class Pick:
    product_id: int
    name: str
    category: str | None
    score: float
    reason: str
    external_id: str = ""
    chance: float | None = None  # calibrated on the holdout; None before calibration existed

    @property
    def strength(self) -> Strength | None:
        return band(self.chance)


@dataclass(frozen=True)
class AccountSummary:
    last_order: datetime | None
    lines_12m: int
    amount_12m: float | None


@dataclass(frozen=True)
class Served:
    """One customer's answer: the two sections, or a cold-start list, and the account summary."""

    customer: CustomerRef
    model: LiveModel
    reorder: list[Pick]
    new: list[Pick]
    summary: AccountSummary
    cold_start: bool = False
    cold_segment: str = ""  # the segment whose popularity list a cold start shows ('' global)
    timing: Mapping[int, Timing] = field(default_factory=dict)  # reorder picks' rhythm, by id

    def section(self, name: Section) -> list[Pick]:
        return self.reorder if name == "reorder" else self.new


_LIVE = (
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
        ModelVersion.n_rows,
    )
    .where(ModelVersion.status == "live")
    .order_by(ModelVersion.id.desc())
)


def live_model(conn: Connection) -> LiveModel | None:
    """The version that serves, or None before the first promotion."""
    row = conn.execute(_LIVE).first()
    if row is None:
        return None
    metrics = dict(row.metrics or {})
    return LiveModel(
        row.id,
        row.arch,
        row.trained_at,
        row.promoted_at,
        row.data_from,
        row.data_to,
        metrics,
        row.n_customers,
        row.n_products,
        row.n_rows,
        Calibration.from_metrics(metrics),
    )


def live_model_id(conn: Connection) -> int | None:
    return conn.execute(_LIVE.with_only_columns(ModelVersion.id)).scalar()


# -- the rules every surface shares -------------------------------------------------------------


def not_hidden(customer_id: Any, product_id: Any) -> ColumnElement[bool]:
    """No 👎 on this product for this customer."""
    return ~exists().where(
        Feedback.customer_id == customer_id, Feedback.product_id == product_id, Feedback.vote < 0
    )


def _visible(rec: Any, mode: str | None = None) -> ColumnElement[bool]:
    """A recommendation row that may be shown: not hidden, and a reorder pick (mode 'all') only
    when the product is not also on the customer's 'new' list (it is shown there instead)."""
    new = aliased(Recommendation)
    on_new_list = exists().where(
        new.model_version_id == rec.model_version_id,
        new.customer_id == rec.customer_id,
        new.mode == "new",
        new.product_id == rec.product_id,
    )
    hidden_ok = not_hidden(rec.customer_id, rec.product_id)
    if mode == "new":
        return hidden_ok
    if mode == "all":
        return ~on_new_list & hidden_ok
    return or_(rec.mode == "new", ~on_new_list) & hidden_ok


def _section_of(mode: str) -> Section:
    return "reorder" if mode == "all" else "new"


# -- one customer ------------------------------------------------------------------------------

_RECENT = Transaction.occurred_at >= bindparam("since")
_SUMMARY = select(
    func.max(Transaction.occurred_at),
    func.coalesce(func.sum(case((_RECENT, 1), else_=0)), 0),
    func.sum(case((_RECENT, Transaction.amount), else_=None)),
).where(Transaction.customer_id == bindparam("c"))


def account_summary(conn: Connection, customer_id: int, now: datetime) -> AccountSummary:
    row = conn.execute(_SUMMARY, {"c": customer_id, "since": now - timedelta(days=365)}).one()
    return AccountSummary(row[0], int(row[1]), row[2])


# The two modes as SQL constants: a bound IN list is expanded on every execution, which cost
# about as much as building an answer's blocks.
_MODES = (literal_column("'all'", String), literal_column("'new'", String))


def _picks_statement() -> CompoundSelect:
    """One round trip for an answer: both sections' rows (ordered by mode and rank), the account
    summary riding along as uncorrelated scalar subqueries (evaluated once per statement), and
    the last year's purchase lines of the products on the customer's reorder list (mode 'tx'),
    from which db/reorder_timing.py works out each reorder's rhythm."""
    rec = Recommendation
    summary = [
        select(column).where(Transaction.customer_id == bindparam("c")).scalar_subquery()
        for column in _SUMMARY.selected_columns
    ]
    sections = (
        select(
            rec.mode.label("mode"),
            rec.rank.label("rank"),
            Product.id,
            Product.name,
            Product.category,
            rec.score,
            rec.reason,
            Product.external_id,
            *summary,
        )
        .join(Product, Product.id == rec.product_id)
        .where(
            rec.model_version_id == bindparam("m"),
            rec.customer_id == bindparam("c"),
            rec.mode.in_(_MODES),
            rec.rank <= bindparam("max_rank"),
            _visible(rec),
        )
    )
    on_list = select(rec.product_id).where(
        rec.model_version_id == bindparam("m"),
        rec.customer_id == bindparam("c"),
        rec.mode == "all",
        rec.rank <= bindparam("max_rank"),
    )
    lines = select(
        literal_column("'tx'", String).label("mode"),
        cast(null(), Integer).label("rank"),
        Transaction.product_id,
        cast(null(), String),
        cast(null(), String),
        Transaction.quantity,
        cast(null(), String),
        cast(null(), String),
        Transaction.occurred_at,
        cast(null(), Integer),
        Transaction.amount,
    ).where(
        Transaction.customer_id == bindparam("c"),
        Transaction.occurred_at >= bindparam("history_since"),
        Transaction.occurred_at <= bindparam("until"),
        Transaction.product_id.in_(on_list),
    )
    return union_all(sections, lines).order_by(literal_column("mode"), literal_column("rank"))


# Built once: the hot path skips re-building the statement on every request.
_PICKS = _picks_statement()


def _pick(row: tuple, model: LiveModel | None = None, section: Section = "new") -> Pick:
    product_id, name, category, score, reason, external_id = row
    chance = model.chance(section, score) if model is not None else None
    return Pick(product_id, name, category, score, reason, external_id, chance)


@dataclass(frozen=True)
class _Read:
    sections: dict[Section, list[Pick]]
    summary: AccountSummary
    lines: dict[int, list[Line]]  # product id -> its purchase lines in the last year


def _read(conn: Connection, model: LiveModel, customer_id: int, now: datetime, limit: int) -> _Read:
    params = {
        "m": model.id,
        "c": customer_id,
        "max_rank": limit + SPARE_RANKS,
        "since": now - timedelta(days=365),
        "history_since": now - timedelta(days=HISTORY_DAYS),
        "until": now,
    }
    out: dict[Section, list[Pick]] = {"reorder": [], "new": []}
    lines: dict[int, list[Line]] = {}
    summary = None
    rows = conn.execute(_PICKS, params).all()  # one fetch: iterating fetches row by row
    for mode, _, product_id, name, category, score, reason, ext, last, n, amount in rows:
        if mode == "tx":  # a purchase line: (when, quantity, amount)
            lines.setdefault(product_id, []).append((last, score, amount))
            continue
        if summary is None:
            summary = AccountSummary(last, int(n or 0), amount)
        section = _section_of(mode)
        kept = out[section]
        if len(kept) < limit:
            kept.append(_pick((product_id, name, category, score, reason, ext), model, section))
    return _Read(out, summary or account_summary(conn, customer_id, now), lines)


def cold_start_picks(
    conn: Connection, model_id: int, segment: str | None, customer_id: int, limit: int = 50
) -> tuple[str, list[Pick]]:
    """The popularity list of the customer's segment, else the global one ('')."""
    cold = ColdStartRecommendation
    for seg in dict.fromkeys([segment or "", ""]):
        rows = conn.execute(
            select(
                Product.id,
                Product.name,
                Product.category,
                cold.score,
                cold.reason,
                Product.external_id,
            )
            .join(Product, Product.id == cold.product_id)
            .where(
                cold.model_version_id == model_id,
                cold.segment == seg,
                not_hidden(customer_id, cold.product_id),
            )
            .order_by(cold.rank)
            .limit(limit)
        ).all()
        if rows:
            return seg, [_pick(tuple(r)) for r in rows]
    return "", []


def served(
    conn: Connection, model: LiveModel, customer: CustomerRef, n: int, now: datetime
) -> Served:
    """What `customer` is served: both sections (at most `n` each), else the cold-start list;
    the reorder picks come with their timing (db/reorder_timing.py)."""
    read = _read(conn, model, customer.id, now, n)
    reorder, new, summary = read.sections["reorder"], read.sections["new"], read.summary
    if reorder or new:
        today = reference_day(now, model.data_to, summary.last_order)
        timing = {}
        for pick in reorder:
            found = summarize(read.lines.get(pick.product_id, ()), today)
            if found is not None:
                timing[pick.product_id] = found
        return Served(customer, model, reorder, new, summary, timing=timing)
    segment, cold = cold_start_picks(conn, model.id, customer.segment, customer.id)
    return Served(customer, model, [], cold[:n], summary, cold_start=True, cold_segment=segment)


# -- many customers ------------------------------------------------------------------------------

_SECTIONS = (
    select(
        Recommendation.customer_id,
        Recommendation.mode,
        Product.id,
        Product.name,
        Product.category,
        Recommendation.score,
        Recommendation.reason,
        Product.external_id,
    )
    .join(Product, Product.id == Recommendation.product_id)
    .where(
        Recommendation.model_version_id == bindparam("m"),
        Recommendation.customer_id.in_(bindparam("customers", expanding=True)),
        Recommendation.mode.in_(("all", "new")),
        Recommendation.rank <= bindparam("max_rank"),
        _visible(Recommendation),
    )
    .order_by(Recommendation.customer_id, Recommendation.mode, Recommendation.rank)
)


def sections_for(
    conn: Connection, model: LiveModel, customer_ids: Iterable[int], limit: int
) -> dict[int, dict[Section, list[Pick]]]:
    """Both sections of several customers in one read (App Home, digests), under the same
    rules as an answer; customers without history get empty sections (no cold-start list)."""
    ids = sorted(set(customer_ids))
    out: dict[int, dict[Section, list[Pick]]] = {i: {"reorder": [], "new": []} for i in ids}
    if not ids:
        return out
    params = {"m": model.id, "customers": ids, "max_rank": limit + SPARE_RANKS}
    for customer_id, mode, *rest in conn.execute(_SECTIONS, params):
        section = _section_of(mode)
        kept = out[customer_id][section]
        if len(kept) < limit:
            kept.append(_pick(tuple(rest), model, section))
    return out


@dataclass(frozen=True)
class ExportRow:
    customer_external_id: str
    rank: int  # 1.. within the section, after the rules
    product_external_id: str
    score: float


def export_rows(
    conn: Connection, model_id: int, section: Section, top: int, batch: int = 50_000
) -> Iterator[ExportRow]:
    """Every customer's top `top` picks of one section, under the same rules as an answer."""
    rec = Recommendation
    mode = "all" if section == "reorder" else "new"
    stmt = (
        select(Customer.external_id, rec.customer_id, Product.external_id, rec.score)
        .join(Customer, Customer.id == rec.customer_id)
        .join(Product, Product.id == rec.product_id)
        .where(
            rec.model_version_id == model_id,
            rec.mode == mode,
            rec.rank <= top + SPARE_RANKS,
            _visible(rec, mode),
        )
        .order_by(Customer.external_id, rec.customer_id, rec.rank)
    )
    current, rank = None, 0
    for customer, customer_id, product, score in conn.execution_options(yield_per=batch).execute(
        stmt
    ):
        if customer_id != current:
            current, rank = customer_id, 0
        if rank < top:
            rank += 1
            yield ExportRow(customer, rank, product, score)
