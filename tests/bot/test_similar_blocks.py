"""The similar-products surfaces at their largest still fit Slack's limits."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from bot import blocks, similar_blocks
from db.product_search import ProductMatch, ProductRef
from db.similar import Substitute
from tests.bot.test_blocks import largest_answer
from tests.bot.test_render import problems

LONG = ProductRef(1, "E" * 128, "N <!here> " * 30, "C" * 128, "discontinued")


def test_the_largest_answer_with_substitutes_fits() -> None:
    subs = tuple(
        Substitute(LONG, "discontinued", datetime(2026, 1, 1), (LONG, LONG, LONG)) for _ in range(3)
    )
    answer = dataclasses.replace(largest_answer(), substitutes=subs)
    reply = blocks.answer_reply(answer)
    assert not problems("answer_substitutes", reply.payload())
    line = next(b for b in reply.blocks if "is discontinued" in b.get("text", {}).get("text", ""))
    assert "<!here>" not in line["text"]["text"]
    assert line["text"]["text"].count("⚠️") == 3


def test_the_largest_similar_reply_and_choices_fit() -> None:
    model = largest_answer().model
    reply = similar_blocks.similar_reply(LONG, [LONG] * 20, model, "embeddings", "discontinued")
    assert not problems("similar", reply.payload())
    choices = similar_blocks.product_choices_reply("q" * 500, ProductMatch("many", (LONG,) * 5, 9))
    assert not problems("product_choices", choices.payload())
    assert "(showing 5 of 9)" in choices.text or "(showing 5 of 9)" in str(choices.blocks)


def test_unavailable_says_why() -> None:
    today = datetime(2026, 6, 1).date()
    product = ProductRef(1, "P1", "x", None)
    assert product.unavailable(today) == ""
    assert dataclasses.replace(product, status="out_of_stock").unavailable(today) == "out of stock"
    later = dataclasses.replace(product, available_from=datetime(2026, 7, 1).date())
    assert later.unavailable(today) == "available from 2026-07-01"
    ended = dataclasses.replace(product, available_until=datetime(2026, 5, 31).date())
    assert ended.unavailable(today) == "no longer available (until 2026-05-31)"
    assert ended.unavailable(datetime(2026, 5, 31).date()) == ""
