"""`recbot recommend C` and `/recommend C` list the same products: one serving read for both."""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

import pytest
from click.testing import CliRunner

from bot import blocks
from bot.cli import cli
from bot.commands.recommend import recommend
from db import queries
from tests.bot import fixtures
from tests.bot.conftest import make_deps
from tests.bot.doubles import AckDouble


def slack_products(deps, text: str) -> dict[str, list[int]]:
    """Product ids per section title of the Slack answer, in order (from the 👍 options)."""
    ack = AckDouble()
    recommend(ack=ack, command={"text": text, "user_id": fixtures.ADMIN}, context={"deps": deps})
    out: dict[str, list[int]] = {}
    title = ""
    for block in ack.only["blocks"]:
        text_obj = block.get("text") or {}
        if block["type"] == "section" and re.fullmatch(r"\*[^*]+\*", text_obj.get("text", "")):
            title = text_obj["text"].strip("*").lower()
            out[title] = []
        menu = block.get("accessory") or {}
        if menu.get("action_id") == blocks.FEEDBACK:
            up = [json.loads(o["value"]) for o in menu["options"]]
            out[title] += [v["p"] for v in up if v["v"] == 1]
    return out


def cli_products(database_url: str, monkeypatch, args: list[str]) -> dict[str, list[int]]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    res = CliRunner().invoke(cli, ["recommend", *args], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    by_external = {f"P{i:03d}": i for i in fixtures.PRODUCTS}
    out: dict[str, list[int]] = {}
    title = ""
    for line in res.output.splitlines():
        if line.endswith(":") and not line.startswith(" "):
            title = line[:-1]
            out[title] = []
        elif match := re.match(r"\s*\d+\s+(P\d{3})\s", line):
            out[title].append(by_external[match.group(1)])
    return out


@pytest.mark.parametrize(
    ("slack_text", "cli_args"),
    [
        ("Acme Bistro", ["Acme Bistro"]),
        ("C001 3", ["C001", "--top", "3"]),
        ("C001 new", ["C001", "--new"]),
    ],
)
def test_cli_and_slack_list_the_same_products(
    engine, database_url, monkeypatch, slack_text, cli_args
):
    fixtures.fill(engine)
    deps = make_deps(engine)
    with engine.connect() as conn:  # a 👎 hides a product from both surfaces
        queries.record_feedback(conn, 1, 2, fixtures.REP_A, -1, fixtures.LIVE_ID)
    slack = slack_products(deps, slack_text)
    assert slack and all(slack.values())
    assert all(2 not in ids for ids in slack.values())
    assert cli_products(database_url, monkeypatch, cli_args) == slack


def test_slack_flag_prints_the_message_payload_and_a_builder_link(
    engine, database_url, monkeypatch
):
    fixtures.fill(engine)
    monkeypatch.setenv("DATABASE_URL", database_url)
    res = CliRunner().invoke(cli, ["recommend", "C001", "--slack"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    payload_text, _, link = res.output.partition("\nPreview: ")
    payload = json.loads(payload_text)
    assert payload["blocks"][0]["text"]["text"] == "Acme Bistro"
    assert link.startswith("https://app.slack.com/block-kit-builder/#")
    assert json.loads(unquote(link.strip().split("#", 1)[1]))["blocks"] == payload["blocks"]
