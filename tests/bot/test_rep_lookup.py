"""Which rep a Slack user is, decided in one place (db.queries.rep_for_slack_user) for /recommend
under RESTRICT_TO_ASSIGNED, App Home, the digest's Open button and `/recommend digest on|off`."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot import blocks
from bot.actions.digest import open_from_digest
from bot.commands.recommend import recommend
from bot.deps import Deps
from bot.events.app_home import app_home_opened
from db import job_queries, queries
from db.models import RepAssignment, SalesRep
from tests.bot import fixtures
from tests.bot.conftest import make_deps
from tests.bot.doubles import AckDouble, RespondDouble, all_text

REP_D = "U0REPD"  # found by e-mail by the digest: not stored on the sales rep


@pytest.fixture
def with_rep_d(filled: Engine) -> Engine:
    """Rep D (id 3) has Acme Grill and Harbor Cafe 12 and no slack_user_id of its own; the
    digest found U0REPD by e-mail and kept it in rep_digest_settings."""
    with Session(filled) as s:
        s.add(SalesRep(id=3, email="d@example.com", name="Rep D", slack_user_id=None))
        s.flush()
        s.add_all([RepAssignment(rep_id=3, customer_id=2), RepAssignment(rep_id=3, customer_id=7)])
        s.commit()
    job_queries.save_digest_setting(filled, 3, fixtures.NOW, slack_user_id=REP_D)
    return filled


def command(deps: Deps, text: str, user: str = REP_D) -> dict:
    ack = AckDouble()
    recommend(ack=ack, command={"text": text, "user_id": user}, context={"deps": deps})
    return ack.only


class ClientDouble:
    def __init__(self) -> None:
        self.views: list[dict] = []

    def views_publish(self, user_id: str, view: dict) -> None:
        self.views.append(view)


def home_text(deps: Deps, user: str = REP_D) -> str:
    client = ClientDouble()
    event = {"type": "app_home_opened", "user": user, "tab": "home"}
    app_home_opened(event=event, client=client, context={"deps": deps})
    [view] = client.views
    return all_text(view["blocks"])


def open_button(deps: Deps, customer_id: int, user: str = REP_D) -> dict:
    respond = RespondDouble()
    body = {"user": {"id": user}, "actions": [{"value": blocks.value(c=customer_id, n=5)}]}
    open_from_digest(body=body, respond=respond, context={"deps": deps})
    return respond.only


def test_a_rep_found_by_email_is_the_same_rep_everywhere(with_rep_d: Engine) -> None:
    restricted = make_deps(with_rep_d, restrict_to_assigned=True)
    # /recommend for their own account, and not for another rep's
    assert command(restricted, "acme grill")["blocks"][0]["text"]["text"] == "Acme Grill"
    assert command(restricted, "harbor cafe 12")["blocks"][0]["text"]["text"] == "Harbor Cafe 12"
    assert "No customer among your accounts matches" in command(restricted, "acme bistro")["text"]
    # App Home lists their accounts
    home = home_text(restricted)
    assert "*Acme Grill* (C002)" in home and "*Harbor Cafe 12* (C007)" in home
    assert "Acme Bistro" not in home and "No accounts are assigned" not in home
    # the digest's Open button re-checks access by the same rule
    assert open_button(restricted, 2)["blocks"][0]["text"]["text"] == "Acme Grill"
    assert "not one of your accounts" in open_button(restricted, 1)["text"]
    # digest on/off
    assert "is now *off*" in command(restricted, "digest off")["text"]
    with with_rep_d.connect() as conn:
        assert job_queries.opted_out(conn, 3)
    assert "weekly digest is *off*" in command(restricted, "digest")["text"]
    assert "is now *on*" in command(restricted, "digest on")["text"]
    with with_rep_d.connect() as conn:
        assert not job_queries.opted_out(conn, 3)


def test_stored_id_first_then_the_one_found_by_email(with_rep_d: Engine) -> None:
    # Rep B has a stored id, so an id found for B earlier no longer names anyone;
    # an id found for D that is A's stored id still names A.
    job_queries.save_digest_setting(with_rep_d, 2, fixtures.NOW, slack_user_id="U0OLDB")
    with Session(with_rep_d) as s:  # a blank stored id counts as none
        s.add(SalesRep(id=4, email="e@example.com", name="Rep E", slack_user_id=""))
        s.flush()
        s.add(RepAssignment(rep_id=4, customer_id=5))
        s.commit()
    with with_rep_d.connect() as conn:
        rep = queries.rep_for_slack_user
        assert rep(conn, fixtures.REP_A) == queries.RepRef(1, "Rep A")
        assert rep(conn, REP_D) == queries.RepRef(3, "Rep D")
        assert rep(conn, "U0OLDB") is None
        assert rep(conn, fixtures.STRANGER) is None
        assert rep(conn, "") is None
        assert queries.assigned_customer_ids(conn, REP_D) == {2, 7}
        assert queries.assigned_customer_ids(conn, fixtures.REP_A) == {1, 3}
        assert queries.assigned_customer_ids(conn, "U0OLDB") == frozenset()
        assert queries.assigned_customer_ids(conn, "") == frozenset()
        assert queries.is_assigned(conn, REP_D, 7) and not queries.is_assigned(conn, REP_D, 1)
        assert not queries.is_assigned(conn, "", 5)
        assert [c.name for c in queries.rep_customers(conn, REP_D)] == [
            "Acme Grill",
            "Harbor Cafe 12",
        ]
        assert queries.rep_customers(conn, fixtures.STRANGER) == []
    job_queries.save_digest_setting(with_rep_d, 3, fixtures.NOW, slack_user_id=fixtures.REP_A)
    with with_rep_d.connect() as conn:
        assert queries.rep_for_slack_user(conn, fixtures.REP_A) == queries.RepRef(1, "Rep A")
        assert queries.rep_for_slack_user(conn, REP_D) is None
