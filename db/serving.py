"""What is served: the one place that reads the live version's precomputed recommendations.

Every surface (Slack answers, App Home, digests, `recbot recommend`, `recbot export`, the demo)
reads through here, so they apply the same rules: the live version only; only products that can
be bought today, that no exclude rule keeps from the customer and that the customer's
entitlements allow (db/availability.py, SQL conditions); 👎-hidden products left out; the reorder
list without the products of the new list; boosts, promotion slots and the diversity cap
(db/arrange.py); and the segment's popularity list for customers without history, or to fill the
new section when the rules left too few. Keyed reads with bound parameters; no model code.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Connection,
    Date,
    Select,
    String,
    bindparam,
    case,
    exists,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from db.arrange import Candidate, Pick, Policy, arrange
from db.availability import available, constant, rule_matches, servable, unavailable_reason
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
from db.rule_set import RuleSet, cached_rules, current_rules, rules_at, version_column
from db.settings import ServingSettings
from db.strength import Calibration

__all__ = ["Pick", "Policy"]

Section = Literal["reorder", "new"]
# How many ranks past the requested count are read, leaving room for hidden and filtered
# products; reading all 50 of each list doubled the cost of the main query. A section left
# short reads the rest of its list (a second round trip, only then).
SPARE_RANKS = 15
WHOLE_LIST = 1_000_000  # a max_rank that reads every stored rank


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
    # How many of the new section's picks are the segment's popular products because the rules
    # (status, exclusions, entitlements) left fewer than asked from the customer's own list;
    # fallback_segment names that list ('' the whole catalogue's).
    fallback: int = 0
    fallback_segment: str = ""

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


@functools.cache
def policy() -> Policy:
    """This process's promotion slots and diversity cap (PROMOTION_SLOTS, MAX_PER_CATEGORY),
    read once. Every surface serves under it, so set them alike for `recbot serve` and the CLI."""
    settings = ServingSettings.from_env()
    return Policy(settings.promotion_slots, settings.max_per_category)


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


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


def _visible_to_one(rec: Any) -> ColumnElement[bool]:
    """`_visible` for the one customer and version bound as :c and :m: the new list's products
    read once per statement (a hashed subplan), not probed for each reorder row."""
    new = aliased(Recommendation)
    new_list = select(new.product_id).where(
        new.model_version_id == bindparam("m"),
        new.customer_id == bindparam("c"),
        new.mode == "new",
    )
    return or_(rec.mode == "new", rec.product_id.not_in(new_list)) & not_hidden(
        rec.customer_id, rec.product_id
    )


def _section_of(mode: str) -> Section:
    return "reorder" if mode == "all" else "new"


_TODAY = bindparam("today", type_=Date)
_SEGMENT = bindparam("seg", type_=String)
_REORDERING = ("boost", "promote")


_BOTH: tuple[Section, ...] = ("reorder", "new")


@dataclass
class _Window:
    """One section's rows as read: those that may be served, the lowest model score among the
    window's rows (served or not), and whether the catalogue or the rules kept any out."""

    candidates: list[Candidate] = field(default_factory=list)
    lowest: float = float("inf")
    filtered: bool = False

    def add(self, pick: Pick, rank: int, max_rank: int, ok: bool) -> None:
        in_window = rank <= max_rank
        if in_window:
            self.lowest = min(self.lowest, pick.score)
        if not ok:
            self.filtered = True
        else:
            self.candidates.append(Candidate(pick, rank, in_window))


def _arranged(
    windows: Mapping[Section, _Window],
    whole: bool,
    n: int,
    rules: RuleSet,
    segment: str | None,
    rule_policy: Policy,
    sections: tuple[Section, ...] = _BOTH,
) -> dict[Section, list[Pick]] | None:
    """The sections under the rules; None when one needs ranks that were not read (`whole`:
    every rank was read)."""
    out: dict[Section, list[Pick]] = {}
    for section in sections:
        win = windows.get(section) or _Window()
        boundary = None if whole else win.lowest
        picks = arrange(win.candidates, n, rules, segment, rule_policy, boundary, win.filtered)
        if picks is None:
            return None
        out[section] = picks
    return out


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
_MODES = (constant("all"), constant("new"))


def _pick_columns(source: Any) -> tuple:
    """What a Pick is built from (`_pick`), with the score and reason of `source`'s row."""
    return (
        Product.id,
        Product.name,
        Product.category,
        source.score,
        source.reason,
        Product.external_id,
    )


def _ok(customer_id: Any, segment: Any) -> Any:
    """1 when the row's product may be served to the customer (db/availability.py), else 0."""
    return case((servable(customer_id, segment, _TODAY), literal_column("1")), else_=0)


def _picks_statement(touched: bool) -> CompoundSelect:
    """One round trip for an answer: both sections' rows (ordered by mode and rank), each with
    `ok` (0: status, availability, an exclude rule or the entitlements keep it out), the account
    summary and the rules version riding along as uncorrelated scalar subqueries (evaluated once
    per statement), and the last year's purchase lines of the products on the customer's reorder
    list (mode 'tx'), from which db/reorder_timing.py works out each reorder's rhythm.
    `touched`: rows any boost or promote rule names are read at any rank, since the rules may
    lift them into the top n (and their purchase lines are read too)."""
    rec = Recommendation
    summary = [
        select(column).where(Transaction.customer_id == bindparam("c")).scalar_subquery()
        for column in _SUMMARY.selected_columns
    ]
    window: ColumnElement[bool] = rec.rank <= bindparam("max_rank")
    sections = (
        select(
            rec.mode.label("mode"),
            rec.rank.label("rank"),
            *_pick_columns(rec),
            _ok(bindparam("c"), _SEGMENT),
            *summary,
            version_column(),
        )
        .join(Product, Product.id == rec.product_id)
        .where(
            rec.model_version_id == bindparam("m"),
            rec.customer_id == bindparam("c"),
            rec.mode.in_(_MODES),
            or_(window, rule_matches(_REORDERING, _SEGMENT)) if touched else window,
            _visible_to_one(rec),
        )
    )
    # Purchase lines only for the reorder rows read (the window's, and when touched the rows a
    # boost or promotion names): the rows are a CTE that both branches read.
    rows = sections.cte("r")  # a short name: the statement stays within psycopg's cache
    on_list = select(rows.c.id).where(rows.c.mode == constant("all"))
    # Untyped NULLs take the first branch's column types (PostgreSQL's UNION rules).
    lines = select(
        constant("tx").label("mode"),
        null().label("rank"),
        Transaction.product_id,
        null(),
        null(),
        Transaction.quantity,
        null(),
        null(),
        null(),
        Transaction.occurred_at,
        null(),
        Transaction.amount,
        null(),
    ).where(
        Transaction.customer_id == bindparam("c"),
        Transaction.occurred_at >= bindparam("history_since"),
        Transaction.occurred_at <= bindparam("until"),
        Transaction.product_id.in_(on_list),
    )
    return union_all(select(rows), lines).order_by(literal_column("mode"), literal_column("rank"))


# Built once: the hot path skips re-building the statement on every request.
_PICKS = {touched: _picks_statement(touched) for touched in (False, True)}


def _pick(row: tuple, model: LiveModel | None = None, section: Section = "new") -> Pick:
    product_id, name, category, score, reason, external_id = row
    chance = model.chance(section, score) if model is not None else None
    return Pick(product_id, name, category, score, reason, external_id, chance)


@dataclass
class _Read:
    windows: dict[Section, _Window]
    whole: bool  # every rank of both lists was read
    summary: AccountSummary
    lines: dict[int, list[Line]]  # product id -> its purchase lines in the last year
    version: int | None  # of the rules, as read with the rows
    touched: bool  # whether rows named by boost and promote rules were read at any rank
    any_rows: bool  # the customer has a list (else: a cold start)

    @property
    def filtered(self) -> bool:
        """Whether the catalogue or the rules kept at least one row out."""
        return any(w.filtered for w in self.windows.values())


def _read(
    conn: Connection,
    model: LiveModel,
    customer: CustomerRef,
    now: datetime,
    max_rank: int,
    touched: bool,
    keep: int | None = None,
) -> _Read:
    """The rows of one answer; `keep`: at most that many candidates per section (enough when
    no rule re-orders and no cap applies: the model's first n are the answer)."""
    params = {
        "m": model.id,
        "c": customer.id,
        "max_rank": max_rank,
        "since": now - timedelta(days=365),
        "history_since": now - timedelta(days=HISTORY_DAYS),
        "until": now,
        "seg": customer.segment,
        "today": now.date(),
    }
    windows: dict[Section, _Window] = {"reorder": _Window(), "new": _Window()}
    lines: dict[int, list[Line]] = {}
    summary: AccountSummary | None = None
    version: int | None = None
    rows = conn.execute(_PICKS[touched], params).all()  # one fetch: iterating fetches row by row
    for mode, rank, product_id, name, category, score, reason, ext, ok, *rest in rows:
        last, n, amount, rules_version = rest
        if mode == "tx":  # a purchase line: (when, quantity, amount)
            lines.setdefault(product_id, []).append((last, score, amount))
            continue
        if summary is None:
            summary = AccountSummary(last, int(n or 0), amount)
            version = rules_version
        section = _section_of(mode)
        win = windows[section]
        if rank <= max_rank and score < win.lowest:
            win.lowest = score
        if not ok:
            win.filtered = True
        elif keep is None or len(win.candidates) < keep:
            pick = _pick((product_id, name, category, score, reason, ext), model, section)
            win.candidates.append(Candidate(pick, rank, rank <= max_rank))
    return _Read(
        windows,
        max_rank == WHOLE_LIST,
        summary or account_summary(conn, customer.id, now),
        lines,
        version,
        touched,
        summary is not None,
    )


def _cold_rows(segments: Sequence[str]) -> Select:
    cold = ColdStartRecommendation
    return (
        select(cold.segment, *_pick_columns(cold))
        .join(Product, Product.id == cold.product_id)
        .where(
            cold.model_version_id == bindparam("m"),
            cold.segment.in_(segments),
            not_hidden(bindparam("c"), cold.product_id),
            servable(bindparam("c"), _SEGMENT, _TODAY),
        )
        .order_by(cold.rank)
    )


def cold_start_picks(
    conn: Connection,
    model: LiveModel,
    customer: CustomerRef,
    n: int,
    now: datetime,
    rules: RuleSet | None = None,
    rule_policy: Policy | None = None,
) -> tuple[str, list[Pick]]:
    """The popularity list of the customer's segment, else the global one (''), under the
    same rules as an answer."""
    rules = rules if rules is not None else current_rules(conn)
    params = {"m": model.id, "c": customer.id, "seg": customer.segment, "today": now.date()}
    for seg in dict.fromkeys([customer.segment or "", ""]):
        rows = conn.execute(_cold_rows([seg]), params).all()
        if rows:
            candidates = [
                Candidate(_pick(tuple(r[1:])), rank, True) for rank, r in enumerate(rows, 1)
            ]
            picks = arrange(candidates, n, rules, customer.segment, rule_policy or policy(), None)
            return seg, picks or []
    return "", []


_BOUGHT = exists().where(
    Transaction.customer_id == bindparam("c"),
    Transaction.product_id == ColdStartRecommendation.product_id,
)


def _popular_fill(
    conn: Connection,
    model: LiveModel,
    customer: CustomerRef,
    shown: Sequence[Pick],
    want: int,
    now: datetime,
    cap: int,
) -> tuple[str, list[Pick]]:
    """Up to `want` of the segment's (then everyone's) popular products the customer never
    bought and is not shown, under the same rules and diversity cap: for a new section the rules
    left short. Returns the list they came from and the picks."""
    segments = list(dict.fromkeys([customer.segment or "", ""]))
    params = {"m": model.id, "c": customer.id, "seg": customer.segment, "today": now.date()}
    stmt = _cold_rows(segments).where(~_BOUGHT)
    rows = sorted(conn.execute(stmt, params).all(), key=lambda r: segments.index(r[0]))
    seen = {p.product_id for p in shown}
    counts: dict[str, int] = {}
    for p in shown:
        if p.category is not None:
            counts[p.category] = counts.get(p.category, 0) + 1
    out: list[Pick] = []
    source = ""
    for segment, *columns in rows:
        pick = _pick(tuple(columns))
        if len(out) == want or pick.product_id in seen:
            continue
        if cap and pick.category is not None and counts.get(pick.category, 0) >= cap:
            continue
        if not out:
            source = segment
        counts[pick.category or ""] = counts.get(pick.category or "", 0) + 1
        seen.add(pick.product_id)
        out.append(pick)
    return source, out


def served(
    conn: Connection,
    model: LiveModel,
    customer: CustomerRef,
    n: int,
    now: datetime,
    rule_policy: Policy | None = None,
) -> Served:
    """What `customer` is served: both sections (at most `n` each) under the rules, else the
    cold-start list; the reorder picks come with their timing (db/reorder_timing.py)."""
    rule_policy = rule_policy or policy()
    rules = cached_rules(conn)
    keep = None if rules.reorders or rule_policy.max_per_category else n
    read = _read(conn, model, customer, now, n + SPARE_RANKS, rules.reorders, keep)
    if read.any_rows and read.version != rules.version:
        rules = rules_at(conn, read.version)
        if rules.reorders and not read.touched:  # rules changed: read the rows they name
            read = _read(conn, model, customer, now, n + SPARE_RANKS, True)
    if not read.any_rows:
        segment, cold = cold_start_picks(conn, model, customer, n, now, None, rule_policy)
        return Served(
            customer, model, [], cold, read.summary, cold_start=True, cold_segment=segment
        )
    sections = _arranged(read.windows, read.whole, n, rules, customer.segment, rule_policy)
    if sections is None:  # the rules left it short: the rest of the list
        keep = None if rules.reorders or rule_policy.max_per_category else n
        read = _read(conn, model, customer, now, WHOLE_LIST, False, keep)
        sections = _arranged(read.windows, read.whole, n, rules, customer.segment, rule_policy)
    assert sections is not None  # the whole list was read
    reorder, new = sections["reorder"], sections["new"]
    fallback, fallback_segment = 0, ""
    if len(new) < n and read.filtered:
        fallback_segment, extra = _popular_fill(
            conn, model, customer, reorder + new, n - len(new), now, rule_policy.max_per_category
        )
        new, fallback = new + extra, len(extra)
    today = reference_day(now, model.data_to, read.summary.last_order)
    timing = {}
    for pick in reorder:
        found = summarize(read.lines.get(pick.product_id, ()), today)
        if found is not None:
            timing[pick.product_id] = found
    return Served(
        customer,
        model,
        reorder,
        new,
        read.summary,
        timing=timing,
        fallback=fallback,
        fallback_segment=fallback_segment,
    )


def unavailable_candidates(
    conn: Connection, model: LiveModel, customer_id: int, today: date, limit: int = 5
) -> list[tuple[Pick, str]]:
    """The products on the customer's reorder list (any rank, best first) that cannot be bought
    today, each with why ('discontinued', 'out of stock', …): what a substitute line is for.
    👎-hidden products are left out."""
    rec = Recommendation
    rows = conn.execute(
        select(
            *_pick_columns(rec),
            Product.status,
            Product.available_from,
            Product.available_until,
        )
        .join(Product, Product.id == rec.product_id)
        .where(
            rec.model_version_id == model.id,
            rec.customer_id == customer_id,
            rec.mode == "all",
            ~available(today),
            not_hidden(customer_id, rec.product_id),
        )
        .order_by(rec.rank)
        .limit(limit)
    ).all()
    return [
        (_pick(tuple(r[:6]), model, "reorder"), unavailable_reason(r[6], r[7], r[8], today))
        for r in rows
    ]


# -- many customers ------------------------------------------------------------------------------


def _many_statement(touched: bool, modes: tuple[str, ...]) -> Select:
    """The rows of several customers' lists with `ok` (as in an answer; each customer's segment
    from its row), ordered by customer, mode and rank."""
    rec = Recommendation
    window: ColumnElement[bool] = rec.rank <= bindparam("max_rank")
    if touched:
        window = or_(window, rule_matches(_REORDERING, Customer.segment))
    return (
        select(
            rec.customer_id,
            Customer.segment,
            rec.mode,
            rec.rank,
            _ok(rec.customer_id, Customer.segment),
            *_pick_columns(rec),
        )
        .join(Customer, Customer.id == rec.customer_id)
        .join(Product, Product.id == rec.product_id)
        .where(
            rec.model_version_id == bindparam("m"),
            rec.customer_id.in_(bindparam("customers", expanding=True)),
            rec.mode.in_([constant(m) for m in modes]),
            window,
            _visible(rec, modes[0] if len(modes) == 1 else None),
        )
        .order_by(rec.customer_id, rec.mode, rec.rank)
    )


_MANY: dict[tuple[bool, tuple[str, ...]], Select] = {
    (touched, modes): _many_statement(touched, modes)
    for touched in (False, True)
    for modes in (("all", "new"), ("all",), ("new",))
}


def _sections_many(
    conn: Connection,
    model: LiveModel,
    ids: list[int],
    limit: int,
    now: datetime,
    modes: tuple[str, ...],
    rule_policy: Policy,
) -> dict[int, dict[Section, list[Pick]]]:
    """Like `served`'s sections for many customers: one read of every customer's window, then
    one read of the whole lists of those the rules left short."""
    rules = current_rules(conn)
    sections = tuple(_section_of(m) for m in modes)
    out: dict[int, dict[Section, list[Pick]]] = {}
    todo, max_rank, touched = ids, limit + SPARE_RANKS, rules.reorders
    while todo:
        params = {"m": model.id, "customers": todo, "max_rank": max_rank, "today": now.date()}
        windows: dict[int, dict[Section, _Window]] = {i: {} for i in todo}
        segments: dict[int, str | None] = {}
        for customer_id, segment, mode, rank, ok, *columns in conn.execute(
            _MANY[touched, modes], params
        ):
            section = _section_of(mode)
            segments[customer_id] = segment
            win = windows[customer_id].setdefault(section, _Window())
            win.add(_pick(tuple(columns), model, section), rank, max_rank, bool(ok))
        whole, short = max_rank == WHOLE_LIST, []
        for customer_id in todo:
            segment = segments.get(customer_id)
            found = _arranged(
                windows[customer_id], whole, limit, rules, segment, rule_policy, sections
            )
            if found is None:
                short.append(customer_id)
            else:
                out[customer_id] = found
        todo, max_rank, touched = short, WHOLE_LIST, False
    return out


def sections_for(
    conn: Connection,
    model: LiveModel,
    customer_ids: Iterable[int],
    limit: int,
    now: datetime | None = None,
) -> dict[int, dict[Section, list[Pick]]]:
    """Both sections of several customers in one read (App Home, digests), under the same
    rules as an answer (a second read for those left short); customers without history get
    empty sections (no cold-start list)."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    when = now or _utcnow()
    return _sections_many(conn, model, ids, limit, when, ("all", "new"), policy())


@dataclass(frozen=True)
class ExportRow:
    customer_external_id: str
    rank: int  # 1.. within the section, after the rules
    product_external_id: str
    score: float


def export_rows(
    conn: Connection,
    model: LiveModel,
    section: Section,
    top: int,
    now: datetime | None = None,
    batch: int = 1_000,
) -> Iterator[ExportRow]:
    """Every customer's top `top` picks of one section, under the same rules as an answer
    (read `batch` customers at a time, in customer id order)."""
    mode = "all" if section == "reorder" else "new"
    rec = Recommendation
    customers = conn.execute(
        select(Customer.id, Customer.external_id)
        .where(
            exists().where(
                rec.model_version_id == model.id, rec.customer_id == Customer.id, rec.mode == mode
            )
        )
        .order_by(Customer.external_id, Customer.id)
    ).all()
    when, rule_policy = now or _utcnow(), policy()
    for start in range(0, len(customers), batch):
        chunk = customers[start : start + batch]
        found = _sections_many(conn, model, [c for c, _ in chunk], top, when, (mode,), rule_policy)
        for customer_id, external_id in chunk:
            picks = found.get(customer_id, {}).get(section, [])
            for rank, pick in enumerate(picks, start=1):
                yield ExportRow(external_id, rank, pick.external_id, pick.score)
