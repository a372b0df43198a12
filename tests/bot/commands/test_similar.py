"""`/recommend similar <product>` and the substitute line, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine, update

from bot.answers import command_reply
from bot.deps import Deps
from db import queries
from db.models import Product
from tests.bot import fixtures, similar_fixtures
from tests.bot.conftest import make_deps
from tests.bot.doubles import all_text


@pytest.fixture
def similar_deps(filled: Engine) -> Deps:
    similar_fixtures.fill(filled)
    return make_deps(filled)


def ids_in(text: str) -> list[str]:
    return re.findall(r"\((P\d{3})\)", text)


def test_similar_lists_available_neighbours_best_first(similar_deps: Deps) -> None:
    reply = command_reply(similar_deps, fixtures.REP_A, "similar P013")
    assert reply.blocks[0]["text"]["text"] == "Similar to Oat milk 1L"
    text = all_text(reply.blocks)
    assert "id P013 · Dairy · discontinued" in text
    listed = reply.blocks[2]["text"]["text"]
    # the out-of-stock neighbour P014 is skipped; five asked for, four available
    assert ids_in(listed) == ["P008", "P009", "P010", "P011"]
    assert "*Milk &lt;!here&gt; *bold** (P008)" in listed and "<!here>" not in text
    assert "similarity from learned product embeddings" in text


def test_similar_finds_a_product_by_name_and_asks_when_several_match(similar_deps: Deps) -> None:
    one = command_reply(similar_deps, fixtures.REP_A, "similar oat MILK 1l")
    assert one.blocks[0]["text"]["text"] == "Similar to Oat milk 1L"
    several = all_text(command_reply(similar_deps, fixtures.REP_A, "similar milk 1L").blocks)
    assert "Several products match “milk 1L”" in several
    assert "(P013)" in several and "(P014)" in several and "similar P013" in several


def test_similar_without_a_match_or_a_product_says_how_to_use_it(similar_deps: Deps) -> None:
    none = all_text(command_reply(similar_deps, fixtures.REP_A, "similar <!channel>").blocks)
    assert "No product matches “&lt;!channel&gt;”" in none
    usage = all_text(command_reply(similar_deps, fixtures.REP_A, "similar").blocks)
    assert "similar &lt;product&gt;" in usage


def test_a_customer_named_similar_gets_an_answer(similar_deps: Deps) -> None:
    reply = command_reply(similar_deps, fixtures.REP_A, "Similar Supplies 3")
    assert reply.is_answer
    assert reply.blocks[0]["text"]["text"] == "Similar Supplies"


def test_a_restricted_rep_never_reaches_another_reps_customer_named_similar(
    similar_deps: Deps,
) -> None:
    restricted = make_deps(similar_deps.engine, restrict_to_assigned=True)
    reply = command_reply(restricted, fixtures.REP_A, "similar supplies")
    assert not reply.is_answer
    assert "No product matches “supplies”" in all_text(reply.blocks)


def test_answer_shows_a_substitute_under_a_discontinued_product(similar_deps: Deps) -> None:
    text = all_text(command_reply(similar_deps, fixtures.REP_A, "acme grill").blocks)
    line = next(t for t in text.splitlines() if "is discontinued" in t)
    assert line.startswith("⚠️ *Oat milk 1L* (P013) is discontinued — similar: ")
    assert ids_in(line) == ["P013", "P008", "P009", "P010"]
    # only in the reorder view, and only for accounts that bought it
    assert "discontinued" not in all_text(
        command_reply(similar_deps, fixtures.REP_A, "acme grill new").blocks
    )
    assert "discontinued" not in all_text(
        command_reply(similar_deps, fixtures.REP_A, "acme bistro").blocks
    )


def test_substitutes_follow_feedback_and_status_without_a_retrain(similar_deps: Deps) -> None:
    with similar_deps.engine.connect() as conn:  # a 👎 on P008 for Acme Grill
        queries.record_feedback(conn, similar_fixtures.GRILL, 8, fixtures.REP_A, -1, None)
    text = all_text(command_reply(similar_deps, fixtures.REP_A, "acme grill").blocks)
    line = next(t for t in text.splitlines() if "is discontinued" in t)
    assert ids_in(line) == ["P013", "P009", "P010", "P011"]
    with similar_deps.engine.begin() as conn:
        conn.execute(update(Product).where(Product.id == 14).values(status="active"))
    text = all_text(command_reply(similar_deps, fixtures.REP_A, "acme grill").blocks)
    line = next(t for t in text.splitlines() if "is discontinued" in t)
    assert ids_in(line) == ["P013", "P014", "P009", "P010"]
    with similar_deps.engine.begin() as conn:
        conn.execute(update(Product).where(Product.id == 13).values(status="active"))
    text = all_text(command_reply(similar_deps, fixtures.REP_A, "acme grill").blocks)
    assert "discontinued" not in text and "similar:" not in text
