"""Every mrkdwn text recbot sends is verbatim: a URL or #channel in an imported name stays text."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from bot.answers import command_reply, home_view
from bot.deps import Deps
from bot.jobs.digest_message import digest_message
from db.attention import Account, Action
from db.models import Customer
from db.queries import CustomerRef
from db.serving import Pick
from tests.bot import fixtures


def mrkdwn_objects(node: Any) -> list[dict]:
    found = []
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            found.append(node)
        for value in node.values():
            found += mrkdwn_objects(value)
    elif isinstance(node, list):
        for value in node:
            found += mrkdwn_objects(value)
    return found


def test_every_surface_sends_verbatim_mrkdwn(deps: Deps) -> None:
    with deps.engine.begin() as conn:
        conn.execute(
            update(Customer).where(Customer.id == 1).values(name="Acme https://evil.example #sales")
        )
    surfaces = [
        command_reply(deps, fixtures.REP_A, text).payload()
        for text in ("C001", "help", "status", "acme", "nothing-like-this")
    ]
    surfaces.append(home_view(deps, fixtures.REP_A))
    customer = CustomerRef(1, "C001", "Acme https://evil.example #sales", "Retail", None)
    account = Account(customer, [Action("new", Pick(5, "Milk", "Dairy", 0.5, "popular"))])
    surfaces.append(digest_message("Rep", "2026-11-23T08:00", [account], 5, 3, 2, "k"))
    objects = mrkdwn_objects(surfaces)
    assert len(objects) >= 8
    assert all(o.get("verbatim") is True for o in objects), [
        o for o in objects if not o.get("verbatim")
    ]
    assert any("https://evil.example" in o["text"] for o in objects)
