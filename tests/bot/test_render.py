"""The render check: every surface recbot sends is valid Block Kit, within Slack's limits, free
of Python reprs, and equal to its reviewed golden file (tests/bot/golden/<surface>.json).

A layout change fails here until the golden files are rewritten on purpose:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/bot/test_render.py

and the diff of tests/bot/golden/ is reviewed with the change.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk.models.blocks import Block, BlockElement
from sqlalchemy import Engine

from bot import blocks
from bot.parsing import MAX_N
from db.customer_search import Match
from db.queries import CustomerRef
from tests.bot import fixtures, surfaces
from tests.bot.doubles import all_text
from tests.bot.test_blocks import largest_answer

MESSAGE_BLOCKS, VIEW_BLOCKS = 50, 100
# Slack's documented limits (api.slack.com/reference/block-kit); slack_sdk checks only some.
LIMITS = {
    "section_text": 3000,
    "context_elements": 10,
    "actions_elements": 25,
    "header_text": 150,
    "button_text": 75,
    "button_value": 2000,
    "option_text": 75,
    "option_value": 150,
    "action_id": 255,
    "block_id": 255,
    "fallback_text": 4000,
}
REPRS = re.compile(r"\{'|\[\{|\bNone\b|\bnan\b|datetime\.|Decimal\(|\w+\(\w+=")


@pytest.fixture
def built(engine: Engine) -> dict[str, dict]:
    fixtures.fill(engine)
    return surfaces.build(engine)


def _elements(block: dict) -> Iterator[dict]:
    yield from block.get("elements", []) if block["type"] == "actions" else []
    if "accessory" in block:
        yield block["accessory"]


def problems(name: str, payload: dict) -> list[str]:
    """Everything Slack would refuse or cut in one surface, as readable lines."""
    found = []
    view = name in surfaces.HOME_SURFACES
    items: list[dict] = payload["blocks"]
    cap = VIEW_BLOCKS if view else MESSAGE_BLOCKS
    if not 1 <= len(items) <= cap:
        found.append(f"{len(items)} blocks (1 to {cap})")
    if not view and not 0 < len(payload["text"]) <= LIMITS["fallback_text"]:
        found.append(f"fallback text of {len(payload['text'])} characters")
    ids = [b["block_id"] for b in items if "block_id" in b]
    if len(ids) != len(set(ids)):
        found.append(f"repeated block_id in {ids}")
    for i, block in enumerate(items):
        where = f"block {i} ({block['type']})"
        try:
            parsed = Block.parse(block)
        except TypeError as exc:  # a required field is missing
            found.append(f"{where}: {exc}")
            continue
        if parsed is None:
            found.append(f"{where}: not a Block Kit block")
            continue
        try:
            parsed.validate_json()
            # to_dict() keeps only the fields slack_sdk knows: a misspelt one would be dropped
            if parsed.to_dict() != block:
                found.append(f"{where}: fields slack_sdk does not know: {block}")
        except Exception as exc:  # slack_sdk's SlackObjectFormationError and friends
            found.append(f"{where}: {exc}")
            continue
        found += [f"{where}: {p}" for p in _limits(block)]
    return found


def _limits(block: dict) -> list[str]:
    out = []
    kind = block["type"]
    if len(block.get("block_id", "")) > LIMITS["block_id"]:
        out.append("block_id too long")
    if kind == "section" and len(block["text"]["text"]) > LIMITS["section_text"]:
        out.append(f"text of {len(block['text']['text'])} characters")
    if kind == "header" and len(block["text"]["text"]) > LIMITS["header_text"]:
        out.append("header too long")
    if kind == "context" and not 1 <= len(block["elements"]) <= LIMITS["context_elements"]:
        out.append(f"{len(block['elements'])} context elements")
    if kind == "actions" and not 1 <= len(block["elements"]) <= LIMITS["actions_elements"]:
        out.append(f"{len(block['elements'])} actions elements")
    for element in _elements(block):
        parsed = BlockElement.parse(element)
        if parsed is None:
            out.append(f"unknown element {element}")
            continue
        try:
            parsed.validate_json()
        except Exception as exc:
            out.append(f"{element['type']}: {exc}")
        if len(element.get("action_id", "")) > LIMITS["action_id"]:
            out.append("action_id too long")
        if element["type"] == "button":
            if len(element["text"]["text"]) > LIMITS["button_text"]:
                out.append(f"button text {element['text']['text']!r}")
            if len(element.get("value", "")) > LIMITS["button_value"]:
                out.append("button value too long")
        if element["type"] == "overflow":
            options = element["options"]
            if not 2 <= len(options) <= 5:
                out.append(f"{len(options)} overflow options (2 to 5)")
            for option in options:
                if len(option["text"]["text"]) > LIMITS["option_text"]:
                    out.append(f"option text {option['text']['text']!r}")
                if not 0 < len(option["value"]) <= LIMITS["option_value"]:
                    out.append(f"option value of {len(option['value'])} characters")
    return out


def text_of(payload: dict) -> str:
    return f"{payload.get('text', '')}\n{all_text(payload['blocks'])}"


def test_every_kind_of_surface_is_checked(built: dict[str, dict]) -> None:
    kinds = {"answer", "status", "help", "digest", "home", "choices", "no_match", "unavailable"}
    assert kinds <= set(built)
    assert {"answer_cold_start", "answer_shared", "home_no_model", "status_no_model"} <= set(built)


def test_every_surface_is_valid_block_kit_within_slacks_limits(built: dict[str, dict]) -> None:
    found = {name: problems(name, payload) for name, payload in built.items()}
    assert not {name: p for name, p in found.items() if p}


def test_no_surface_shows_a_python_repr(built: dict[str, dict]) -> None:
    # the fixture's metrics hold a per-epoch history list, and reasons and names are plain text
    shown = {name: REPRS.findall(text_of(payload)) for name, payload in built.items()}
    assert not {name: hits for name, hits in shown.items() if hits}


def test_the_largest_answer_and_choices_fit_too() -> None:
    answer = blocks.answer_reply(largest_answer(note="👎 noted: hidden from now on: y"))
    assert not problems("largest_answer", answer.payload())
    customers = tuple(CustomerRef(i, "E" * 128, "N" * 256, None, None) for i in range(5))
    choices = blocks.choices_reply("q" * 500, Match("many", customers, total=9), MAX_N, False)
    assert not problems("largest_choices", choices.payload())


def test_the_check_catches_what_slack_would_refuse() -> None:
    menu = {"type": "overflow", "action_id": "m", "options": [_option("x" * 80, "v" * 151)]}
    bad = {
        "text": "fallback",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "ok"}, "accessory": menu},
            {"type": "actions", "elements": [{"type": "button", "text": _plain("b" * 76)}]},
            {"type": "section", "text": {"type": "mrkdwn", "text": "ok"}, "colour": "red"},
            {"type": "bogus"},
            {"type": "header"},
        ],
    }
    found = "\n".join(problems("bad", bad))
    for expected in (
        "cannot exceed 3000 characters",
        "1 overflow options",
        "option text",
        "option value of 151",
        "cannot exceed 75 characters",
        "fields slack_sdk does not know",
        "not a Block Kit block",
        "block 5 (header): text attribute must be specified",
    ):
        assert expected in found, found


def _plain(text: str) -> dict:
    return {"type": "plain_text", "text": text}


def _option(text: str, value: str) -> dict:
    return {"text": _plain(text), "value": value}


def _canonical(payload: Any) -> str:
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def test_every_surface_matches_its_golden_file(built: dict[str, dict]) -> None:
    """Layout changes are reviewed on purpose: UPDATE_GOLDEN=1 rewrites the files."""
    update = os.environ.get("UPDATE_GOLDEN") == "1"
    surfaces.GOLDEN.mkdir(exist_ok=True)
    changed = []
    for name, payload in built.items():
        path = surfaces.GOLDEN / f"{name}.json"
        text = _canonical(payload)
        if update:
            path.write_text(text)
        elif not path.exists() or path.read_text() != text:
            changed.append(name)
    stale = {p.stem for p in surfaces.GOLDEN.glob("*.json")} - set(built)
    assert not changed, (
        f"{changed} differ from tests/bot/golden/: review the change, then "
        "UPDATE_GOLDEN=1 .venv/bin/pytest tests/bot/test_render.py"
    )
    assert not stale, f"golden files without a surface: {sorted(stale)}"
