"""The App Home listener with a WebClient double."""

from __future__ import annotations

from bot.deps import Deps
from bot.events.app_home import app_home_opened
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


def test_home_lists_the_reps_accounts_with_top_picks(deps: Deps) -> None:
    [published] = open_home(deps, fixtures.REP_A)
    assert published["user_id"] == fixtures.REP_A
    view = published["view"]
    text = all_text(view["blocks"])
    assert view["type"] == "home"
    assert "*Acme Bistro* (C001)" in text and "*Northwind Hotel* (C003)" in text
    assert "Acme Grill" not in text
    assert text.count("Dairy item 01") == 2 and "Dairy item 04" not in text  # top 3 each
    assert "`/recommend &lt;customer&gt;`" in text


def test_home_for_someone_without_accounts_explains(deps: Deps) -> None:
    [published] = open_home(deps, fixtures.STRANGER)
    assert "No accounts are assigned to you yet" in all_text(published["view"]["blocks"])


def test_messages_tab_is_ignored(deps: Deps) -> None:
    assert open_home(deps, fixtures.REP_A, tab="messages") == []
