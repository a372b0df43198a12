"""Every Slack surface recbot sends, built from the known data set (tests/bot/fixtures.py).

Used by the render check (tests/bot/test_render.py: Block Kit validation, golden files, no Python
reprs) and by `python -m tests.bot.surfaces` (a Block Kit Builder link per surface, for
docs/slack.md). Everything is built at fixed times, so the payloads are the same on every run
and on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
from datetime import UTC
from pathlib import Path

from sqlalchemy import Engine, update

from bot import blocks
from bot.answers import command_reply, home_view, picked_reply, vote_reply
from bot.deps import Deps
from bot.jobs.digest_message import digest_message
from bot.jobs.status import overview, slack_lines
from bot.settings import JobSettings
from bot.status_blocks import status_reply
from db import job_queries, serving
from db.models import ModelVersion
from tests.bot import fixtures, similar_fixtures
from tests.bot.conftest import make_deps

DIGEST_AT = fixtures.NOW.replace(hour=8, minute=5)
GOLDEN = Path(__file__).with_name("golden")
HOME_SURFACES = ("home", "home_no_accounts", "home_no_model")


def _message(reply: blocks.Reply) -> dict:
    return reply.payload()


def _status(deps: Deps) -> dict:
    with deps.engine.connect() as conn:
        model = serving.live_model(conn)
        lines = slack_lines(overview(conn, JobSettings(), fixtures.NOW.replace(tzinfo=UTC), 1))
    return _message(status_reply(model, fixtures.NOW, lines))


def _digest(deps: Deps) -> dict:
    settings = JobSettings()
    with deps.engine.connect() as conn:
        model = serving.live_model(conn)
        assert model is not None and model.calibration is not None
        accounts = job_queries.rep_accounts(conn, 1, model, DIGEST_AT)
    message = digest_message(
        "Rep A",
        "2026-11-23T08:00",
        accounts,
        settings.digest_accounts,
        settings.digest_picks,
        model.id,
        "1:2026-11-23T08:00",
        model.calibration.horizon_weeks,
    )
    return {k: message[k] for k in ("text", "blocks")}


def build(engine: Engine) -> dict[str, dict]:
    """Surface name -> its payload: {text, blocks} for messages, the view for App Home tabs.

    `engine` holds fixtures.fill's data; the surfaces that need more (a 👎, no live model) add
    it as they go, so the order below matters."""
    deps = make_deps(engine)
    rep, admin = fixtures.REP_A, fixtures.ADMIN
    out = {
        "answer": _message(command_reply(deps, rep, "acme bistro")),
        "answer_new_only": _message(command_reply(deps, rep, "acme bistro 3 new")),
        "answer_shared": _message(picked_reply(deps, rep, 3, 5, False, interactive=False)),
        "answer_cold_start": _message(command_reply(deps, rep, "brand new cafe")),
        "answer_after_a_vote": _message(vote_reply(deps, rep, 1, 2, -1, 5, False)),
        "hidden": _message(command_reply(deps, admin, "hidden acme bistro")),
        "help": _message(command_reply(deps, rep, "help")),
        "status": _status(deps),
        "choices": _message(command_reply(deps, rep, "acme")),
        "no_match": _message(command_reply(deps, rep, "Northpole Motel")),
        "not_yours": _message(blocks.not_yours_reply()),
        "too_long": _message(command_reply(deps, rep, "x" * 5000)),
        "unavailable": _message(blocks.message(blocks.UNAVAILABLE)),
        "digest": _digest(deps),
        "home": home_view(deps, rep),
        "home_no_accounts": home_view(deps, fixtures.STRANGER),
    }
    similar_fixtures.fill(engine)
    out["similar"] = _message(command_reply(deps, rep, "similar P013"))
    out["answer_substitute"] = _message(command_reply(deps, rep, "acme grill"))
    with engine.begin() as conn:
        conn.execute(update(ModelVersion).values(status="retired"))
    no_model = dataclasses.replace(deps, next_retrain=lambda: fixtures.NOW)
    out["status_no_model"] = _message(command_reply(no_model, rep, "status"))
    out["answer_no_model"] = _message(command_reply(no_model, rep, "acme bistro"))
    out["home_no_model"] = home_view(no_model, rep)
    return out


def builder_link(name: str, payload: dict) -> str:
    from bot.cli.serving_commands import builder_link as link

    if name in HOME_SURFACES:
        return link({"type": "home", "blocks": payload["blocks"]})
    return link({"blocks": payload["blocks"]})


def main() -> None:
    """Print a Block Kit Builder link for each surface (`python -m tests.bot.surfaces`)."""
    from db.migrate import upgrade
    from db.session import make_engine

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/surfaces.db")
        upgrade(engine)
        fixtures.fill(engine)
        surfaces = build(engine)
        engine.dispose()
    wanted = set(sys.argv[1:]) or set(surfaces)
    for name, payload in surfaces.items():
        if name in wanted:
            print(f"{name}: {builder_link(name, payload)}")
    if "--json" in wanted:
        print(json.dumps(surfaces, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
