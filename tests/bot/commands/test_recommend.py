"""The /recommend listener called directly with an Ack double, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot import blocks
from bot.commands.recommend import recommend
from bot.deps import Deps
from db.models import Customer, ModelVersion
from tests.bot import fixtures
from tests.bot.doubles import AckDouble, action_ids, all_text, menu_votes, section_titles


def run(deps: Deps, text: str, user: str = fixtures.REP_A) -> dict:
    ack = AckDouble()
    recommend(ack=ack, command={"text": text, "user_id": user}, context={"deps": deps})
    return ack.only


def test_answer_has_both_sections_with_strength_reasons_timing_and_menus(deps: Deps) -> None:
    sent = run(deps, "acme bistro")
    assert sent["response_type"] == "ephemeral"
    text, ids = all_text(sent["blocks"]), action_ids(sent["blocks"])
    assert sent["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Acme Bistro", "emoji": False},
    }
    assert section_titles(sent["blocks"]) == ["*Likely to reorder*", "*New for this customer*"]
    assert fixtures.REORDER_REASON in text and "score" not in text
    # strength from the calibration, not the raw score
    assert "*1. Dairy item 01* · Strong" in text and "*3. Dairy item 03* · Likely" in text
    assert "*1. Dairy item 05* · Worth a try" in text
    # the reorder's rhythm (orders 10-18, 11-17, 11-24) and one next step per pick
    assert "usually 2 every ~3 weeks · last ordered today · next in ~3 weeks" in text
    assert "→ Add it to their next order (expected in ~3 weeks)" in text
    assert text.count("→ ") == 4 + 5
    assert "Model v2 (ncf) · trained 2026-11-20" in text
    assert "OLD MODEL" not in text
    votes = menu_votes(sent["blocks"])  # 👍 and 👎 in one ⋯ menu per pick, 4 reorders exist
    assert len(votes) == 2 * (4 + 5) and {v for _, v in votes} == {1, -1}
    assert ids == [blocks.SHARE]  # no other actions block: the menus are accessories


def test_reorder_and_new_sections_split_the_lists(deps: Deps) -> None:
    text = all_text(run(deps, "C001 3")["blocks"])
    reorder, new = text.split("*New for this customer*")
    assert "Dairy item 01" in reorder and "Dairy item 03" in reorder
    assert "Dairy item 04" not in reorder  # n = 3
    assert "Dairy item 05" in new and "Dairy item 07" in new and "Dairy item 09" not in new
    assert "Dairy item 05" not in reorder


def test_new_keyword_shows_only_new_products(deps: Deps) -> None:
    sent = run(deps, "acme bistro new 6")
    assert section_titles(sent["blocks"]) == ["*New for this customer*"]
    assert "Dairy item 10" in all_text(sent["blocks"])


def test_summary_line_describes_the_account(deps: Deps) -> None:
    text = all_text(run(deps, "acme bistro")["blocks"])
    assert (
        "Restaurants · North · id C001 · last order 2026-11-24 · 3 order lines ($150) in "
        "the last 12 months"
    ) in text


@pytest.mark.parametrize(
    "query", ["C001", "c001", "ACME BISTRO", "acme bistr", "acme bistor", "Acme  Bistro"]
)
def test_customer_found_by_id_name_partial_or_typo(deps: Deps, query: str) -> None:
    assert run(deps, query)["blocks"][0]["text"]["text"] == "Acme Bistro"


def test_trailing_number_that_is_part_of_a_name(deps: Deps) -> None:
    assert run(deps, "harbor cafe 12")["blocks"][0]["text"]["text"] == "Harbor Cafe 12"
    assert run(deps, "harbor cafe 2")["blocks"][0]["text"]["text"] == "Harbor Cafe 12"


def test_several_matches_offer_buttons(deps: Deps) -> None:
    sent = run(deps, "acme")
    assert "Several customers match “acme”" in sent["text"]
    buttons = sent["blocks"][1]["elements"]
    assert [b["text"]["text"] for b in buttons] == ["Acme Bistro (C001)", "Acme Grill (C002)"]
    assert {b["action_id"] for b in buttons} == {blocks.PICK_CUSTOMER}


def test_at_most_five_choices(deps: Deps, filled) -> None:
    with Session(filled) as s:
        s.add_all(
            Customer(id=100 + i, external_id=f"X{i}", name=f"Zeta Foods {i}") for i in range(9)
        )
        s.commit()
    sent = run(deps, "zeta")
    assert len(sent["blocks"][1]["elements"]) == 5
    assert "(showing 5 of 9)" in sent["text"]


def test_unsure_typo_offers_a_guess(deps: Deps) -> None:
    sent = run(deps, "Northwest Hostel")
    assert "Did you mean" in sent["text"]
    assert [b["text"]["text"] for b in sent["blocks"][1]["elements"]] == ["Northwind Hotel (C003)"]


def test_no_match_names_the_closest(deps: Deps) -> None:
    sent = run(deps, "Northpole Motel")
    assert "No customer matches “Northpole Motel”" in sent["text"]
    assert "*Northwind Hotel*" in sent["text"]
    assert blocks.SHARE not in action_ids(sent["blocks"])
    assert run(deps, "qqqq")["text"] == "No customer matches “qqqq”."


def test_customer_without_history_gets_labelled_cold_start(deps: Deps) -> None:
    text = all_text(run(deps, "brand new cafe")["blocks"])
    assert "Popular with Restaurants customers: a starting list" in text
    assert "Dairy item 11" in text and "Likely to reorder" not in text
    global_list = all_text(run(deps, "lonely clinic")["blocks"])
    assert "a starting list" in global_list and "popular overall" in global_list


@pytest.mark.parametrize("text", ["", "   ", "help", "HELP"])
def test_help(deps: Deps, text: str) -> None:
    assert "How to use /recommend" in all_text(run(deps, text)["blocks"])


def test_status_shows_live_model_quality_and_retrain(deps: Deps) -> None:
    text = all_text(run(deps, "status")["blocks"])
    assert "*Live model:* v2 (ncf) · live since 2026-11-21" in text
    assert (
        "*Trained:* 2026-11-20 on data 2024-11-01 to 2026-11-19 "
        "(1,234 purchase lines, 7 customers, 12 products)"
    ) in text
    assert "holdout NDCG@10 on the last 4 weeks" in text
    assert "• Likely to reorder: *0.412* · popularity 0.251" in text
    assert "• New for this customer: *0.101* · popularity 0.052" in text
    assert "*Next scheduled retrain:* not scheduled" in text
    assert "epoch" not in text and "history" not in text  # the stored training history stays out


def test_status_of_a_version_with_other_metrics_shows_plain_numbers(deps: Deps, filled) -> None:
    with filled.begin() as conn:
        conn.execute(
            update(ModelVersion)
            .where(ModelVersion.id == fixtures.LIVE_ID)
            .values(metrics={"ndcg@10": 0.412, "recall@20": 0.377, "curve": [{"a": 1}]})
        )
    text = all_text(run(deps, "status")["blocks"])
    assert "*Quality:* ndcg@10 0.412 · recall@20 0.377" in text and "curve" not in text


def test_status_uses_the_scheduler_hook(deps: Deps) -> None:
    deps = dataclasses.replace(deps, next_retrain=lambda: fixtures.NOW)
    text = all_text(run(deps, "status")["blocks"])
    assert "*Next scheduled retrain:* 2026-11-27 12:00 UTC" in text


def test_no_live_model(deps: Deps, filled) -> None:
    with filled.begin() as conn:
        conn.exec_driver_sql("UPDATE model_versions SET status = 'retired'")
    assert "No model is live yet" in run(deps, "acme bistro")["text"]


@pytest.mark.parametrize(
    "text",
    [
        "'; DROP TABLE customers; --",
        "acme' OR '1'='1",
        "%",
        "_",
        "\\",
        "ünïcødé 🙂 ☃",
        "Ａｃｍｅ",
        "a\x00b",
        "\u202eacme",
        "<!channel>",
        "<@U0VICTIM> hi",
        "x" * 5000,
        "acme 0",
        "acme -1 new new",
    ],
)
def test_hostile_or_odd_text_is_answered_politely(deps: Deps, filled, text: str) -> None:
    sent = run(deps, text)
    assert sent["text"] and sent["response_type"] == "ephemeral"
    rendered = sent["text"] + all_text(sent["blocks"])
    assert "<!channel>" not in rendered and "<@U0VICTIM>" not in rendered
    with Session(filled) as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == len(fixtures.CUSTOMERS)


def test_overlong_text_gets_a_clear_message(deps: Deps) -> None:
    assert "longer than any customer name" in run(deps, "x" * 5000)["text"]


def test_names_from_the_database_are_escaped(deps: Deps) -> None:
    sent = run(deps, "C006")
    rendered = all_text(sent["blocks"]) + sent["text"]
    assert "&lt;!channel&gt; &amp; &lt;@U0VICTIM&gt;" in rendered
    assert "Milk &lt;!here&gt;" in rendered
    assert "<!" not in rendered.replace("<!date", "") and "<@U0VICTIM>" not in rendered


def test_restricted_rep_sees_only_assigned_accounts(restricted: Deps) -> None:
    assert run(restricted, "acme bistro")["blocks"][0]["text"]["text"] == "Acme Bistro"
    # another rep's account reads exactly like one that does not exist
    for text in ("acme grill", "C002"):
        other, nowhere = run(restricted, text), run(restricted, text + "zzz")
        assert "No customer among your accounts matches" in other["text"]
        assert other["text"].replace(text, "") == nowhere["text"].replace(text + "zzz", "")
    # partial matches never reveal other reps' accounts
    partial = run(restricted, "acme")
    assert partial["blocks"][0]["text"]["text"] == "Acme Bistro"
    missing = run(restricted, "acme gril")
    assert "Acme Grill" not in missing["text"] + all_text(missing["blocks"])


def test_restricted_unknown_user_and_admin(restricted: Deps) -> None:
    assert (
        "No customer among your accounts matches"
        in run(restricted, "C001", fixtures.STRANGER)["text"]
    )
    assert run(restricted, "C002", fixtures.ADMIN)["blocks"][0]["text"]["text"] == "Acme Grill"


def test_unrestricted_by_default(deps: Deps) -> None:
    sent = run(deps, "acme grill", fixtures.STRANGER)
    assert sent["blocks"][0]["text"]["text"] == "Acme Grill"


def test_hidden_is_admin_only(deps: Deps) -> None:
    assert "Only recbot admins" in run(deps, "hidden acme bistro", fixtures.REP_A)["text"]
    assert (
        "Products hidden for Acme Bistro: none."
        in run(deps, "hidden acme bistro", fixtures.ADMIN)["text"]
    )


def test_a_customer_called_digest_something_is_still_found(deps: Deps, filled) -> None:
    with Session(filled) as s:
        s.add(Customer(id=8, external_id="C008", name="Digest Depot", segment="Restaurants"))
        s.commit()
    assert run(deps, "Digest Depot")["blocks"][0]["text"]["text"] == "Digest Depot"
    assert run(deps, "digest depot 3")["blocks"][0]["text"]["text"] == "Digest Depot"
    assert "`/recommend digest off` stops" in run(deps, "digest maybe")["text"]
    assert "`/recommend digest off` stops" in run(deps, "digest depo")["text"]  # exact names only


def test_a_customer_called_digest_something_is_still_restricted(restricted: Deps, filled) -> None:
    with Session(filled) as s:
        s.add(Customer(id=8, external_id="C008", name="Digest Depot", segment="Restaurants"))
        s.commit()
    assert "No customer among your accounts matches" in run(restricted, "Digest Depot")["text"]
