"""The plain words a rep reads: strength, reorder timing, the next step, how long ago.

Only numbers and fixed words go into these phrases, so they need no escaping; names and reasons
from the database are escaped by the surface that places them beside these.
"""

from __future__ import annotations

from db.reorder_timing import Timing
from db.serving import Pick, Section
from db.strength import LIKELY, STRONG, Strength

STRENGTH = {"strong": "Strong", "likely": "Likely", "worth a try": "Worth a try"}
STATE = {"overdue": "overdue", "due": "due now", "lapsed": "lapsed"}


def strength(value: Strength | None) -> str:
    return STRENGTH[value] if value else ""


def strength_legend(horizon_weeks: int) -> str:
    """What the bands mean, for an answer's footer."""
    return (
        f"Strong: {STRONG:.0%}+ of such picks were bought within {horizon_weeks} weeks when "
        f"tested on past data; likely: {LIKELY:.0%}+; worth a try: fewer"
    )


def quantity(q: float) -> str:
    """Whole units from 10 on (a median of two orders may fall between), else one decimal."""
    return f"{q:,.0f}" if abs(q) >= 10 or abs(q - round(q)) < 0.05 else f"{q:,.1f}"


def times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def ago(days: int) -> str:
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 14:
        return f"{days} days ago"
    if days < 63:
        return f"{round(days / 7)} weeks ago"
    return f"{round(days / 30.4)} months ago"


def every(interval_days: float) -> str:
    if interval_days < 1.5:
        return "every day"
    if 6 <= round(interval_days) <= 8:
        return "every week"
    if interval_days < 12:
        return f"every ~{round(interval_days)} days"
    if interval_days < 63:
        weeks = round(interval_days / 7)
        return "every week" if weeks == 1 else f"every ~{weeks} weeks"
    return f"every ~{round(interval_days / 30.4)} months"


def within(days: int) -> str:
    if days <= 1:
        return "tomorrow"
    if days < 14:
        return f"in ~{days} days"
    return f"in ~{round(days / 7)} weeks"


def money(value: float) -> str:
    return f"${value:,.0f}"


def worth(timing: Timing) -> str:
    """The usual order's value: money where amounts exist, else units."""
    if timing.priced:
        return money(timing.value)
    return f"{quantity(timing.usual_quantity)} units"


def timing_line(t: Timing, with_state: bool = True) -> str:
    """'usually 12 every ~4 weeks · last 6 weeks ago · overdue'."""
    if t.interval_days is None:
        return f"ordered {times(t.orders)} in the last year · last ordered {ago(t.days_since)}"
    parts = [
        f"usually {quantity(t.usual_quantity)} {every(t.interval_days)}",
        f"last ordered {ago(t.days_since)}",
    ]
    state = t.state
    if with_state and state in STATE:
        parts.append(f"*{STATE[state]}*")
    elif with_state and t.due_in_days is not None:
        parts.append(f"next {within(t.due_in_days)}")
    return " · ".join(parts)


def next_step(section: Section, pick: Pick, timing: Timing | None, cold_start: bool) -> str:
    """One thing to do about a pick."""
    if cold_start:
        return "Include it in your first offer"
    if section == "new":
        if pick.strength == "strong":
            return "Offer it on your next call"
        return "Mention it on your next call"
    if timing is None:
        return "Ask whether they still need it"
    usual = quantity(timing.usual_quantity)
    match timing.state:
        case "overdue":
            return f"Call now: offer the usual {usual}"
        case "due":
            return f"Confirm the usual {usual} this week"
        case "lapsed":
            return "Ask why they stopped ordering it"
        case "not due":
            return f"Add it to their next order (expected {within(timing.due_in_days or 1)})"
    return "Suggest it with their next order"


def fallback_note(count: int, segment: str) -> str:
    """Why the new section ends with popular products: the rules left too few of the account's
    own picks (db/serving.py: Served.fallback)."""
    where = f"{segment} accounts" if segment else "all accounts"
    last = "the last one is" if count == 1 else f"the last {count} are"
    return f"Catalogue rules left too few of this account's own picks: {last} popular with {where}"


def one_in(chance: float) -> str:
    """0.147 -> '1 in 7'; from one in two on, a percentage."""
    if chance >= 0.5:
        return f"{chance:.0%}"
    return f"1 in {max(2, round(1 / chance))}" if chance > 0 else "few"
