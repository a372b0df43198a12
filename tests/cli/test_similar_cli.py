"""`recbot similar PRODUCT`, and the substitute line of `recbot recommend`, as Slack shows them."""

from __future__ import annotations

import re

from click.testing import CliRunner

from bot.answers import command_reply
from bot.cli import cli
from tests.bot import fixtures, similar_fixtures
from tests.bot.conftest import make_deps
from tests.bot.doubles import all_text


def run(database_url: str, monkeypatch, *args: str):
    monkeypatch.setenv("DATABASE_URL", database_url)
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_similar_lists_available_neighbours(engine, database_url, monkeypatch) -> None:
    fixtures.fill(engine)
    similar_fixtures.fill(engine)
    res = run(database_url, monkeypatch, "similar", "P013", "--top", "3")
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert lines[0] == "P013 Oat milk 1L · discontinued · model v2, similarity from embeddings"
    assert [line.split()[1] for line in lines[1:]] == ["P008", "P009", "P010"]
    res = run(database_url, monkeypatch, "similar", "milk 1l")
    assert res.exit_code == 1 and "matches several products" in res.output
    assert "P013 Oat milk 1L" in res.output and "P014 Soy milk 1L" in res.output
    res = run(database_url, monkeypatch, "similar", "no such thing")
    assert res.exit_code == 1 and "no product 'no such thing'" in res.output


def test_recommend_shows_the_same_substitutes_as_slack(engine, database_url, monkeypatch) -> None:
    fixtures.fill(engine)
    similar_fixtures.fill(engine)
    res = run(database_url, monkeypatch, "recommend", "Acme Grill")
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    at = lines.index("no longer available:")
    assert lines[at - 1].strip() and lines[at + 2] == "new for this customer:"
    cli_line = lines[at + 1]
    assert cli_line.startswith("  P013 Oat milk 1L is discontinued — similar: P008 Milk")
    slack = all_text(command_reply(make_deps(engine), fixtures.REP_A, "acme grill").blocks)
    slack_line = next(t for t in slack.splitlines() if "is discontinued" in t)
    assert re.findall(r"P\d{3}", cli_line) == re.findall(r"P\d{3}", slack_line)
    res = run(database_url, monkeypatch, "recommend", "Acme Grill", "--new")
    assert "no longer available" not in res.output
