"""The Slack listeners depend on the jobs' helpers, never the other way round."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

JOBS = Path(__file__).resolve().parents[2] / "bot" / "jobs"
SLACK_SIDE = ("bot.app", "bot.answers", "bot.commands", "bot.actions", "bot.events", "slack_bolt")


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


@pytest.mark.parametrize("path", sorted(JOBS.glob("*.py")), ids=lambda p: p.name)
def test_jobs_import_no_slack_listener(path: Path) -> None:
    bad = {n for n in imported(path) if n.startswith(SLACK_SIDE)}
    assert not bad, f"{path.name} imports Slack listener code: {sorted(bad)}"
