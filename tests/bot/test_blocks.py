"""Block Kit payloads stay inside Slack's limits, whatever the data."""

from __future__ import annotations

from datetime import datetime

from bot import blocks
from bot.parsing import MAX_N
from db.customer_search import Match
from db.queries import CustomerRef
from db.serving import AccountSummary, LiveModel, Pick


def _answer(note: str = "") -> blocks.Answer:
    long = "x" * 400
    picks = [Pick(i, f"{long} {i}", "Dairy", 0.5, long) for i in range(MAX_N)]
    more = [Pick(100 + i, f"{long} {i}", "Dairy", 0.5, long) for i in range(MAX_N)]
    return blocks.Answer(
        CustomerRef(1, "C1" * 100, "N" * 400, "S" * 100, "R" * 100),
        AccountSummary(datetime(2026, 1, 1), 3, 12.5),
        LiveModel(1, "ncf", datetime(2026, 1, 1), None, None, None, {}, None, None),
        picks,
        more,
        MAX_N,
        note=note,
    )


def test_largest_answer_fits_slacks_limits() -> None:
    reply = blocks.answer_reply(_answer(note="👎 noted: hidden from now on: y"))
    assert len(reply.blocks) <= 50
    for block in reply.blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "actions":
            assert len(block["elements"]) <= 25
            for element in block["elements"]:
                assert len(element["text"]["text"]) <= 75 and len(element["value"]) <= 2000
    block_ids = [b["block_id"] for b in reply.blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))


def test_choices_fit() -> None:
    customers = tuple(CustomerRef(i, "E" * 128, "N" * 256, None, None) for i in range(5))
    reply = blocks.choices_reply("q" * 500, Match("many", customers, total=9), 5, False)
    buttons = reply.blocks[1]["elements"]
    assert len(buttons) == 5 and all(len(b["text"]["text"]) <= 75 for b in buttons)
    assert len(reply.text) < 300
