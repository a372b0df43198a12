"""Block Kit payloads stay inside Slack's limits, whatever the data."""

from __future__ import annotations

from datetime import date, datetime

from bot import blocks
from bot.parsing import MAX_N
from db.customer_search import Match
from db.queries import CustomerRef
from db.reorder_timing import Timing
from db.serving import AccountSummary, LiveModel, Pick
from db.strength import Calibration


def largest_answer(note: str = "") -> blocks.Answer:
    """MAX_N picks per section, every text at its longest, every reorder with a timing line."""
    long = "x" * 400
    calibration = Calibration(52, {"all": ((0.0,), (0.9,)), "new": ((0.0,), (0.05,))})
    picks = [Pick(i, f"{long} {i}", "Dairy", 0.5, long, chance=0.9) for i in range(MAX_N)]
    more = [Pick(100 + i, f"{long} {i}", "Dairy", 0.5, long, chance=0.05) for i in range(MAX_N)]
    timing = Timing(365, 123_456.5, 1.0, date(2026, 1, 1), 400, 99_999.0)
    return blocks.Answer(
        CustomerRef(1_000_000_000, "C1" * 100, "N" * 400, "S" * 100, "R" * 100),
        AccountSummary(datetime(2026, 1, 1), 3, 12.5),
        LiveModel(
            1, "n" * 32, datetime(2026, 1, 1), None, None, None, {}, None, None, None, calibration
        ),
        picks,
        more,
        MAX_N,
        note=note,
        timing={p.product_id: timing for p in picks},
    )


def test_largest_answer_fits_slacks_limits() -> None:
    reply = blocks.answer_reply(largest_answer(note="👎 noted: hidden from now on: y"))
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
