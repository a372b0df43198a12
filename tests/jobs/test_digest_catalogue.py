"""Digests and App Home read through the same rules as answers: a discontinued product never
shows there either, and a rule change shows in the next digest."""

from __future__ import annotations

from sqlalchemy import Engine

from db import catalogue, entitlements, rules
from tests.bot import fixtures
from tests.bot.conftest import make_deps
from tests.bot.doubles import all_text
from tests.bot.events.test_app_home import open_home
from tests.jobs.conftest import MONDAY_0805_UTC, digest_job
from tests.slack_standin import SlackStandIn


def digest_text(db: Engine, slack: SlackStandIn, channel: str) -> str:
    digest_job(db, slack).run(MONDAY_0805_UTC)
    [call] = [c for c in slack.delivered("chat.postMessage") if c.params["channel"] == channel]
    return all_text(call.params["blocks"])


def test_a_discontinued_product_leaves_the_digest(db: Engine, slack: SlackStandIn) -> None:
    with db.begin() as conn:
        catalogue.set_status(conn, "P003", "discontinued")  # customer 6's due reorder
    text = digest_text(db, slack, "D0REPC")
    assert "Dairy item 03" not in text
    assert "Dairy item 04" in text  # customer 7's lapsed reorder stays


def test_app_home_follows_status_and_rules(db: Engine) -> None:
    deps = make_deps(db)
    before = all_text(open_home(deps, fixtures.REP_A)[0]["view"]["blocks"])
    assert "Dairy item 02" in before  # Northwind Hotel's overdue reorder
    with db.begin() as conn:
        catalogue.set_status(conn, "P002", "out_of_stock")
    after = all_text(open_home(deps, fixtures.REP_A)[0]["view"]["blocks"])
    assert "Dairy item 02" not in after
    with db.begin() as conn:
        catalogue.set_status(conn, "P002", "active")
        rules.add_rule(conn, rules.make_rule("recall", "exclude", product="P002"))
    assert "Dairy item 02" not in all_text(open_home(deps, fixtures.REP_A)[0]["view"]["blocks"])
    with db.begin() as conn:
        rules.remove_rule(conn, "recall")
        entitlements.clear_entitlements(conn)
    assert "Dairy item 02" in all_text(open_home(deps, fixtures.REP_A)[0]["view"]["blocks"])
