"""An account and its actions as mrkdwn lines: shared by the digest and the App Home."""

from __future__ import annotations

from bot import wording
from bot.mrkdwn import escape
from db.attention import KIND_ORDER, Account, Action

LABEL = {"overdue": "Overdue", "due": "Due now", "lapsed": "Lapsed", "new": "New"}


def action_line(action: Action, horizon_weeks: int | None) -> str:
    """'*Overdue:* Dairy item 01 · usually 12 every ~4 weeks · last 6 weeks ago · $240 an order'."""
    name = escape(action.pick.name, 80)
    t = action.timing
    if t is not None and action.kind == "lapsed" and t.interval_days is not None:
        why = f"bought {wording.every(t.interval_days)} until {wording.ago(t.days_since)}"
        return f"*{LABEL['lapsed']}:* {name} · {why} · ask why they stopped"
    if t is not None:
        line = f"*{LABEL[action.kind]}:* {name} · {wording.timing_line(t, with_state=False)}"
        return f"{line} · {wording.worth(t)} an order"
    evidence = escape(action.pick.reason, 120)
    chance = action.pick.chance
    if chance is not None and horizon_weeks:
        evidence += f" ({wording.one_in(chance)} such picks bought within {horizon_weeks} weeks)"
    return f"*{LABEL['new']}:* {name} · {evidence}"


def account_title(account: Account) -> str:
    """'*Acme Bistro* (C001) · 2 overdue ($480) · 1 due now'."""
    c = account.customer
    parts = [f"*{escape(c.name, 120)}* ({escape(c.external_id, 40)})"]
    for kind in KIND_ORDER:
        n = account.count(kind)
        if not n:
            continue
        what = f"{n} {LABEL[kind].lower()}"
        priced = [a.timing for a in account.actions if a.kind == kind and a.timing is not None]
        if kind in ("overdue", "due") and priced and all(t.priced for t in priced):
            what += f" ({wording.money(sum(t.value for t in priced))})"
        parts.append(what)
    return " · ".join(parts)


def quiet_line(account: Account) -> str:
    """For an account that needs nothing now: its top pick and, for a reorder, when it is due."""
    pick, t = account.top_pick, account.top_timing
    if pick is None:
        return "_No picks yet (new account)._"
    name = escape(pick.name, 80)
    if t is not None:
        return f"Nothing due · {name}: {wording.timing_line(t)}"
    return f"Nothing due · top pick {name}: {escape(pick.reason, 120)}"
