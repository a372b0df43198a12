"""What follows /recommend."""

from __future__ import annotations

import pytest

from bot.mrkdwn import escape, mention, plain
from bot.parsing import DEFAULT_N, MAX_N, Request, parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("acme", Request("recommend", "acme", DEFAULT_N)),
        ("acme 3", Request("recommend", "acme", 3, alt_query="acme 3")),
        ("acme new", Request("recommend", "acme", DEFAULT_N, True)),
        ("acme 3 new", Request("recommend", "acme", 3, True, alt_query="acme 3")),
        ("acme new 3", Request("recommend", "acme", 3, True, alt_query="acme 3")),
        ("acme 99", Request("recommend", "acme", MAX_N, n_capped=True, alt_query="acme 99")),
        ("harbor cafe 0012", Request("recommend", "harbor cafe 0012", DEFAULT_N)),
        ("new", Request("recommend", "new", DEFAULT_N)),
        ("acme 0", Request("bad_n")),
        ("", Request("help")),
        ("help", Request("help")),
        ("status", Request("status")),
        ("Status", Request("status")),
        ("status report co", Request("recommend", "status report co")),
        ("hidden acme", Request("hidden", "acme")),
        ("  acme\x00\u200b  bistro\t", Request("recommend", "acme bistro", DEFAULT_N)),
        ("x" * 201, Request("too_long")),
    ],
)
def test_parse(text: str, expected: Request) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("digest", Request("digest")),
        ("digest on", Request("digest", choice="on")),
        ("digest off", Request("digest", choice="off")),
        ("Digest OFF", Request("digest", choice="off")),
        ("  digest\t off ", Request("digest", choice="off")),
        # another second word: a customer of exactly that name, else how to use `digest`
        ("digest maybe", Request("digest_usage", "digest maybe")),
        ("Digest Depot", Request("digest_usage", "Digest Depot")),
        ("digest 3", Request("digest_usage", "digest 3")),
        # three words or more are a customer, with the usual options
        ("digest off please", Request("recommend", "digest off please")),
        ("Digest Depot 3", Request("recommend", "Digest Depot", 3, alt_query="Digest Depot 3")),
        ("Digest Depot new", Request("recommend", "Digest Depot", new_only=True)),
        ("hidden digest", Request("hidden", "digest")),
    ],
)
def test_parse_digest(text: str, expected: Request) -> None:
    assert parse(text) == expected


def test_escape_makes_mentions_inert() -> None:
    assert escape("<!channel> & <@U123|bob>") == "&lt;!channel&gt; &amp; &lt;@U123|bob&gt;"
    assert escape("hi @here") == "hi @\u2060here"
    assert escape("abcdef", limit=4) == "abc…"
    assert plain("<!channel>") == "‹!channel›"
    assert mention("U0REPA") == "<@U0REPA>" and mention("<!channel>") == "&lt;!channel&gt;"
