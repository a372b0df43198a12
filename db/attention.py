"""Which of a rep's accounts need attention, and for what: the digest's and App Home's order.

An account's *actions* come from what it is served (db/serving.py, so 👎-hidden products and
the sections' rules hold) and its reorder timing (db/reorder_timing.py):
- `overdue` / `due`: a reorder pick whose rhythm says the next order is late / expected now;
- `lapsed`: a reorder pick the account bought on a rhythm and has stopped buying;
- `new`: the account's best never-bought pick, when the calibration gives it at least
  NEW_EVIDENCE (one in ten such picks was bought within the holdout weeks).
A reorder that is not due yet is no action; an account without actions needs no attention.

Accounts are ordered by overdue value first (the usual order's worth, summed over its overdue
reorders), then due value, lapsed value, the best new chance, and name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection

from db.queries import CustomerRef
from db.reorder_timing import Timing, timings
from db.serving import LiveModel, Pick, sections_for

ActionKind = Literal["overdue", "due", "lapsed", "new"]
KIND_ORDER: tuple[ActionKind, ...] = ("overdue", "due", "lapsed", "new")
NEW_EVIDENCE = 0.1
REORDER_DEPTH = 10  # reorder picks per account whose timing is read: the longest answer's
NEW_DEPTH = 3  # new picks per account looked at


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    pick: Pick
    timing: Timing | None = None  # set for reorders

    @property
    def value(self) -> float:
        return self.timing.value if self.timing is not None else 0.0


@dataclass(frozen=True)
class Account:
    customer: CustomerRef
    actions: list[Action]  # most urgent first
    top_pick: Pick | None = None  # the first pick, for a line when nothing is urgent
    top_timing: Timing | None = None  # its timing, when it is a reorder with orders
    top_mode: str = ""  # the section of top_pick: reorder or new

    def value(self, kind: ActionKind) -> float:
        return sum(a.value for a in self.actions if a.kind == kind)

    def count(self, kind: ActionKind) -> int:
        return sum(1 for a in self.actions if a.kind == kind)

    @property
    def needs_attention(self) -> bool:
        return bool(self.actions)

    def sort_key(self) -> tuple:
        best_new = max((a.pick.chance or 0.0 for a in self.actions if a.kind == "new"), default=0)
        return (
            -self.value("overdue"),
            -self.value("due"),
            -self.value("lapsed"),
            -best_new,
            self.customer.name,
            self.customer.id,
        )


def _actions(reorder: list[Pick], new: list[Pick], timing: dict[int, Timing]) -> list[Action]:
    out = []
    for pick in reorder:
        t = timing.get(pick.product_id)
        state = t.state if t is not None else None
        if state in ("overdue", "due", "lapsed"):
            out.append(Action(state, pick, t))
    best = max(new, key=lambda p: p.chance or 0.0, default=None)
    if best is not None and (best.chance or 0.0) >= NEW_EVIDENCE:
        out.append(Action("new", best))
    rank = {kind: i for i, kind in enumerate(KIND_ORDER)}
    out.sort(key=lambda a: (rank[a.kind], -a.value))
    return out


def accounts_by_attention(
    conn: Connection, model: LiveModel, customers: Sequence[CustomerRef], now: datetime
) -> list[Account]:
    """Every given account with its actions, the ones needing attention first (two reads)."""
    refs = {c.id: c for c in customers}
    sections = sections_for(conn, model, refs, max(REORDER_DEPTH, NEW_DEPTH), now)
    wanted = {c: [p.product_id for p in s["reorder"][:REORDER_DEPTH]] for c, s in sections.items()}
    found = timings(conn, wanted, now, model.data_to)
    accounts = []
    for customer_id, ref in refs.items():
        s = sections[customer_id]
        reorder, new = s["reorder"][:REORDER_DEPTH], s["new"][:NEW_DEPTH]
        timing = {
            p.product_id: found[customer_id, p.product_id]
            for p in reorder
            if (customer_id, p.product_id) in found
        }
        top = reorder[0] if reorder else new[0] if new else None
        top_timing = timing.get(top.product_id) if top is not None else None
        top_mode = "reorder" if reorder else "new" if new else ""
        accounts.append(Account(ref, _actions(reorder, new, timing), top, top_timing, top_mode))
    accounts.sort(key=Account.sort_key)
    return accounts
