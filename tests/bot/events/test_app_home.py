"""The App Home listener with a WebClient double."""

from __future__ import annotations

import pytest

from bot.deps import Deps
from bot.events.app_home import app_home_opened
from bot.home_blocks import when_words
from db import job_queries, queries
from tests.bot import fixtures
from tests.bot.doubles import all_text


class ClientDouble:
    def __init__(self) -> None:
        self.published: list[dict] = []

    def views_publish(self, user_id: str, view: dict) -> None:
        self.published.append({"user_id": user_id, "view": view})


def open_home(deps: Deps, user: str, tab: str = "home") -> list[dict]:
    client = ClientDouble()
    app_home_opened(
        event={"type": "app_home_opened", "user": user, "tab": tab},
        client=client,
        context={"deps": deps},
    )
    return client.published


def test_home_orders_accounts_by_attention_with_their_top_action(deps: Deps) -> None:
    [published] = open_home(deps, fixtures.REP_A)
    assert published["user_id"] == fixtures.REP_A
    view = published["view"]
    text = all_text(view["blocks"])
    assert view["type"] == "home"
    assert "2 of your 2 accounts need attention, overdue reorders first" in text
    # Northwind Hotel's weekly reorder is 13 days late (data end 11-19): it comes first
    northwind, acme = text.index("*Northwind Hotel* (C003)"), text.index("*Acme Bistro* (C001)")
    assert northwind < acme
    assert "*Northwind Hotel* (C003) · 1 overdue ($100) · 1 new" in text
    assert (
        "*Overdue:* Dairy item 02 · usually 10 every week · last ordered 13 days ago · "
        "$100 an order"
    ) in text
    assert "_and 1 more: `/recommend C003`_" in text
    # Acme Bistro's only action: a new product with one-in-eight evidence
    assert (
        "*New:* Dairy item 05 · new: popular with peers (5) (1 in 8 such picks bought within "
        "4 weeks)"
    ) in text
    assert "Acme Grill" not in text
    assert "*Weekly digest:* on (Mondays at 08:00, your time zone)" in text
    assert "Model v2 · trained 2026-11-20" in text
    assert "`/recommend &lt;customer&gt;`" in text


@pytest.mark.parametrize(
    ("cron", "words"),
    [
        ("0 8 * * mon", "Mondays at 08:00"),
        ("30 7 * * 5", "Fridays at 07:30"),
        ("0 8 * * 7", "Sundays at 08:00"),
        ("0 8 1 * *", "`0 8 1 * *`"),
        ("0 25 * * mon", "`0 25 * * mon`"),
    ],
)
def test_the_digest_schedule_in_words(cron: str, words: str) -> None:
    assert when_words(cron) == words


def test_home_shows_a_digest_turned_off(deps: Deps) -> None:
    job_queries.save_digest_setting(deps.engine, 1, fixtures.NOW, opted_out=True)
    [published] = open_home(deps, fixtures.REP_A)
    assert "*Weekly digest:* off" in all_text(published["view"]["blocks"])


def test_home_puts_accounts_with_nothing_due_last(deps: Deps) -> None:
    with deps.engine.connect() as conn:  # Acme Bistro's new picks with evidence are 👎'd
        for product in (5, 6):
            queries.record_feedback(conn, 1, product, fixtures.REP_A, -1, fixtures.LIVE_ID)
    text = all_text(open_home(deps, fixtures.REP_A)[0]["view"]["blocks"])
    assert "1 of your 2 accounts needs attention" in text
    assert text.index("*Needs attention*") < text.index("Northwind Hotel")
    assert text.index("*Nothing urgent*") < text.index("Acme Bistro")
    assert (
        "Nothing due · Dairy item 01: usually 2 every ~3 weeks · last ordered today · "
        "next in ~3 weeks"
    ) in text


def test_home_for_someone_without_accounts_explains(deps: Deps) -> None:
    [published] = open_home(deps, fixtures.STRANGER)
    text = all_text(published["view"]["blocks"])
    assert "No accounts are assigned to you yet" in text
    assert "*Weekly digest:* none: no sales-rep record is linked" in text


def test_messages_tab_is_ignored(deps: Deps) -> None:
    assert open_home(deps, fixtures.REP_A, tab="messages") == []
