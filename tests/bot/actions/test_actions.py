"""Button listeners called directly with a Respond double: pick, share, 👍/👎, unhide."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import blocks
from bot.actions import customers, feedback
from bot.commands.recommend import recommend
from bot.deps import Deps
from db.models import Feedback
from tests.bot import fixtures
from tests.bot.doubles import AckDouble, RespondDouble, all_text


def click(listener, deps: Deps, user: str = fixtures.REP_A, **value) -> dict:
    respond = RespondDouble()
    body = {"user": {"id": user}, "actions": [{"value": blocks.value(**value)}]}
    listener(body=body, respond=respond, context={"deps": deps})
    return respond.only


def choose(deps: Deps, option_value: str, user: str = fixtures.REP_A) -> list[dict]:
    """Pick an option of a ⋯ feedback menu: what Slack sends is the option's value."""
    respond = RespondDouble()
    body = {
        "user": {"id": user},
        "actions": [{"type": "overflow", "selected_option": {"value": option_value}}],
    }
    feedback.pick_feedback(body=body, respond=respond, context={"deps": deps})
    return respond.calls


def answer_blocks(deps: Deps, text: str = "acme bistro") -> list[dict]:
    ack = AckDouble()
    recommend(ack=ack, command={"text": text, "user_id": fixtures.REP_A}, context={"deps": deps})
    return ack.only["blocks"]


def answer_text(deps: Deps, text: str = "acme bistro") -> str:
    ack = AckDouble()
    recommend(ack=ack, command={"text": text, "user_id": fixtures.REP_A}, context={"deps": deps})
    return all_text(ack.only["blocks"])


def test_pick_replaces_the_choices_with_the_answer(deps: Deps) -> None:
    sent = click(customers.pick_customer, deps, c=2, n=3, new=False)
    assert sent["replace_original"] is True
    assert sent["blocks"][0]["text"]["text"] == "Acme Grill"


def test_share_reposts_visibly_without_vote_buttons(deps: Deps) -> None:
    sent = click(customers.share_answer, deps, c=1, n=5, new=False)
    assert sent["response_type"] == "in_channel" and sent["replace_original"] is False
    assert "Likely to reorder" in all_text(sent["blocks"])
    assert "shared by <@U0REPA>" in all_text(sent["blocks"])
    assert not [b for b in sent["blocks"] if b["type"] == "actions"]


def test_vote_down_stores_feedback_and_hides_the_product(deps: Deps, filled) -> None:
    assert "Dairy item 02" in answer_text(deps)
    sent = click(feedback.vote_down, deps, c=1, p=2, n=5, new=False)
    assert "👎 noted: hidden from now on: Dairy item 02" in all_text(sent["blocks"])
    assert "*2. Dairy item 02*" not in all_text(sent["blocks"])
    assert "Dairy item 02" not in answer_text(deps)
    assert "Dairy item 02" in answer_text(deps, "acme grill")  # only for that customer
    with Session(filled) as s:
        row = s.scalars(select(Feedback)).one()
        assert (
            row.customer_id,
            row.product_id,
            row.slack_user_id,
            row.vote,
            row.model_version_id,
        ) == (1, 2, fixtures.REP_A, -1, fixtures.LIVE_ID)


def test_voting_again_replaces_the_vote(deps: Deps, filled) -> None:
    click(feedback.vote_down, deps, c=1, p=2, n=5, new=False)
    click(feedback.vote_up, deps, c=1, p=2, n=5, new=False)
    with Session(filled) as s:
        assert [r.vote for r in s.scalars(select(Feedback))] == [1]
    assert "Dairy item 02" in answer_text(deps)


def test_feedback_menu_stores_the_chosen_vote(deps: Deps, filled) -> None:
    menus = {
        b["block_id"]: {o["text"]["text"][0]: o["value"] for o in b["accessory"]["options"]}
        for b in answer_blocks(deps)
        if b.get("block_id", "").startswith("pick:")
    }
    assert set(menus["pick:2"]) == {"👍", "👎"}
    [sent] = choose(deps, menus["pick:2"]["👎"])
    assert sent["replace_original"] is True
    assert "👎 noted: hidden from now on: Dairy item 02" in all_text(sent["blocks"])
    assert "Dairy item 02" not in answer_text(deps)
    [sent] = choose(deps, menus["pick:5"]["👍"])
    assert "👍 noted for Dairy item 05" in all_text(sent["blocks"])
    with Session(filled) as s:
        votes = {(r.product_id, r.vote) for r in s.scalars(select(Feedback))}
    assert votes == {(2, -1), (5, 1)}


def test_feedback_menu_ignores_values_without_a_vote(deps: Deps, filled) -> None:
    for raw in ["", "{}", blocks.value(c=1, p=2, n=5, new=False), '{"c":1,"p":2,"v":"x"}']:
        assert choose(deps, raw) == []
    with Session(filled) as s:
        assert s.scalars(select(Feedback)).all() == []


def test_vote_down_hides_cold_start_products_too(deps: Deps) -> None:
    assert "Dairy item 11" in answer_text(deps, "brand new cafe")
    click(feedback.vote_down, deps, c=4, p=11, n=5, new=False)
    assert "Dairy item 11" not in answer_text(deps, "brand new cafe")


def test_unhide_is_admin_only(deps: Deps) -> None:
    click(feedback.vote_down, deps, c=1, p=2, n=5, new=False)
    refused = click(feedback.unhide_product, deps, user=fixtures.REP_A, c=1, p=2)
    assert "Only recbot admins" in refused["text"]
    assert "Dairy item 02" not in answer_text(deps)
    done = click(feedback.unhide_product, deps, user=fixtures.ADMIN, c=1, p=2)
    assert "none" in done["text"]
    assert "Dairy item 02" in answer_text(deps)


def test_actions_recheck_access_when_restricted(restricted: Deps, filled) -> None:
    assert (
        "not one of your accounts"
        in click(customers.share_answer, restricted, c=2, n=5, new=False)["text"]
    )
    assert (
        "not one of your accounts"
        in click(feedback.vote_down, restricted, c=2, p=1, n=5, new=False)["text"]
    )
    with Session(filled) as s:
        assert s.scalars(select(Feedback)).all() == []


def test_malformed_button_values_are_ignored(deps: Deps) -> None:
    respond = RespondDouble()
    for raw in ["", "not json", '{"p": 1}', '{"c": "x"}', "[]"]:
        body = {"user": {"id": fixtures.REP_A}, "actions": [{"value": raw}]}
        feedback.vote_down(body=body, respond=respond, context={"deps": deps})
        customers.share_answer(body=body, respond=respond, context={"deps": deps})
    assert respond.calls == []
