"""Ordering one list of picks under the rules that re-order (boost, promote) and the diversity
cap. Pure Python over rows already read and filtered (db/availability.py did the excluding);
db/serving.py applies it to every section of every surface.

- boost: a matching rule multiplies the score (a negative score is divided, so a boost always
  raises it); the list is re-sorted by the boosted score, ties kept in the model's order.
- diversity: at most `max_per_category` picks of one category (uncategorised products are not
  capped); a capped product leaves its place to the next one down the list.
- promotion slots: when fewer than `promotion_slots` of the top n are promoted products, the
  best-scored promoted products from the customer's own list take the last places.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from db.rule_set import RuleRef, RuleSet
from db.strength import Strength, band


@dataclass(frozen=True)
class Pick:
    product_id: int
    name: str
    category: str | None
    score: float  # the model's, before any boost: what the strength is calibrated on
    reason: str
    external_id: str = ""
    chance: float | None = None  # calibrated on the holdout; None before calibration existed

    @property
    def strength(self) -> Strength | None:
        return band(self.chance)


@dataclass(frozen=True)
class Candidate:
    pick: Pick
    rank: int  # in the precomputed list
    in_window: bool  # within the ranks read for every row, not only for its rules


@dataclass(frozen=True)
class Policy:
    promotion_slots: int = 1
    max_per_category: int = 0  # 0: no cap


def boosted(score: float, multiplier: float) -> float:
    return score * multiplier if score >= 0 else score / multiplier


def _noted(pick: Pick, what: str, rules: Sequence[RuleRef]) -> Pick:
    names = ", ".join(dict.fromkeys(r.name for r in rules))
    return replace(pick, reason=f"{pick.reason} · {what}: {names}")


def arrange(
    candidates: Sequence[Candidate],
    n: int,
    rules: RuleSet,
    segment: str | None,
    policy: Policy,
    boundary: float | None,
    filtered: bool = False,
) -> list[Pick] | None:
    """The top `n` of `candidates` under the rules, or None when that needs ranks not read.

    `boundary`: None when `candidates` hold the whole list; else the lowest model score of the
    window, below which an unread row may rank. A candidate read from beyond the window (because
    a rule names it) is placed only when its boosted score clears the boundary; otherwise it is
    still offered to a promotion slot. A list left short asks for the rest (None) only when the
    rules made it short: `filtered` (the catalogue or the rules kept rows of the window out), the
    cap, or the boundary; a list short of itself (its rows are on the new list, or 👎-hidden)
    stays as it is, as it always has."""
    cap = policy.max_per_category
    if not rules.reorders and not cap:  # the model's order: the first n (the common case)
        order: list[tuple[Pick, list[RuleRef]]] = []
        top, stopped = [c.pick for c in candidates[:n]], False
    else:
        top, order, stopped = _ordered(candidates, n, rules, segment, cap, boundary)
    if len(top) < n and boundary is not None and (filtered or stopped):
        return None
    if policy.promotion_slots and rules.reorders:
        _promote(top, order, n, rules, segment, policy)
    return top


def _ordered(
    candidates: Sequence[Candidate],
    n: int,
    rules: RuleSet,
    segment: str | None,
    cap: int,
    boundary: float | None,
) -> tuple[list[Pick], list[tuple[Pick, list[RuleRef]]], bool]:
    """(the top n after boosts and the cap, every candidate in boosted order with its boosts,
    whether rows were passed over for the cap or the boundary)."""
    scored = []
    lifted = False
    for c in candidates:
        pick, score = c.pick, c.pick.score
        boosts = rules.matching("boost", pick.external_id, pick.category, segment)
        if boosts:
            for rule in boosts:
                score = boosted(score, rule.multiplier or 1.0)
            lifted = True
        scored.append((score, c.rank, c.in_window, pick, boosts))
    if lifted:
        scored.sort(key=lambda s: (-s[0], s[1]))
    counts: Counter[str] = Counter()
    top: list[Pick] = []
    stopped = False
    for score, _, in_window, pick, boosts in scored:
        if len(top) == n:
            break
        if not (boundary is None or in_window or score >= boundary):
            stopped = True  # from here on, unread rows might come first
            break
        if cap and pick.category is not None:
            if counts[pick.category] >= cap:
                stopped = True
                continue
            counts[pick.category] += 1
        top.append(_noted(pick, "boosted", boosts) if boosts else pick)
    return top, [(s[3], s[4]) for s in scored], stopped


def _promote(
    top: list[Pick],
    order: list[tuple[Pick, list[RuleRef]]],
    n: int,
    rules: RuleSet,
    segment: str | None,
    policy: Policy,
) -> None:
    """Fill the promotion slots from `order` (every candidate in boosted order, each with the
    boosts that apply to it, noted only on the picks that end up shown)."""

    def promotions(pick: Pick) -> list[RuleRef]:
        return rules.matching("promote", pick.external_id, pick.category, segment)

    need = policy.promotion_slots - sum(1 for p in top if promotions(p))
    shown = {p.product_id for p in top}
    cap = policy.max_per_category
    for pick, boosts in order:
        if need <= 0:
            return
        found = promotions(pick)
        if pick.product_id in shown or not found:
            continue
        out = None
        if len(top) >= n:
            plain = [i for i, p in enumerate(top) if not promotions(p)]
            if not plain:
                return
            out = plain[-1]
        if cap and pick.category is not None:
            same = sum(1 for i, p in enumerate(top) if i != out and p.category == pick.category)
            if same >= cap:
                continue
        if out is not None:
            top.pop(out)
        if boosts:
            pick = _noted(pick, "boosted", boosts)
        top.append(_noted(pick, "promoted", found[:1]))
        shown.add(pick.product_id)
        need -= 1
