"""`recbot serve` as a user runs it: clear one-line errors, gunicorn over HTTP, Socket Mode."""

from __future__ import annotations

import ast
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.settings import SLACK_VARS
from tests.bot import fixtures
from tests.bot.conftest import SECRET
from tests.bot.doubles import section_titles
from tests.bot.signing import get, signed_command
from tests.slack_standin import BOT_TOKEN, SlackStandIn

REPO = Path(__file__).resolve().parents[2]
RECBOT = str(Path(sys.executable).with_name("recbot"))


def clean_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SLACK_VARS}
    env.update(values)
    return env


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, "SLACK_BOT_TOKEN must be a bot token"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN}, "SLACK_SIGNING_SECRET is not set"),
        (
            {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": "xoxb-wrong"},
            "SLACK_APP_TOKEN must be",
        ),
        (
            {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": "s", "PORT": "http"},
            "PORT must be",
        ),
        (
            {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": "ftp://x"},
            "SLACK_API_URL must be",
        ),
        (
            {
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": "s",
                "RESTRICT_TO_ASSIGNED": "maybe",
            },
            "RESTRICT_TO_ASSIGNED must be true or false",
        ),
        (
            {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": "s", "ADMIN_USER_IDS": "bob"},
            "ADMIN_USER_IDS must be",
        ),
    ],
)
def test_bad_settings_stop_start_up_with_one_line(
    env: dict, needle: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the working tree
    for key in SLACK_VARS:
        monkeypatch.delenv(key, raising=False)
    result = CliRunner().invoke(cli, ["serve"], env=env)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], result.output
    assert SECRET not in result.output


def test_refused_token_is_one_line_naming_the_variable(database_url: str, tmp_path: Path) -> None:
    with SlackStandIn(valid_tokens={"xoxb-the-right-one"}) as slack:
        done = subprocess.run(
            [RECBOT, "serve"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            env=clean_env(
                SLACK_BOT_TOKEN=BOT_TOKEN,
                SLACK_SIGNING_SECRET=SECRET,
                SLACK_API_URL=slack.api_url,
                DATABASE_URL=database_url,
            ),
        )
        assert slack.calls_to("auth.test")
        api_url = slack.api_url
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f"Error: SLACK_BOT_TOKEN was refused by {api_url}auth.test: invalid_auth"
    )
    assert BOT_TOKEN not in done.stderr + done.stdout
    assert SECRET not in done.stderr + done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _maps_mention(pid: int, word: str) -> bool:
    try:
        return word in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def test_http_server_under_gunicorn_answers_signed_requests(
    filled, database_url: str, tmp_path: Path
) -> None:
    port = _free_port()
    with SlackStandIn() as slack:
        proc = subprocess.Popen(
            [RECBOT, "serve"],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=clean_env(
                SLACK_BOT_TOKEN=BOT_TOKEN,
                SLACK_SIGNING_SECRET=SECRET,
                SLACK_API_URL=slack.api_url,
                PORT=str(port),
                WEB_CONCURRENCY="2",
                WEB_THREADS="2",
                DATABASE_URL=database_url,
                SCHEDULER="off",
            ),
        )  # the scheduler child is tested in tests/jobs
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    if get(f"{base}/healthz")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.2)
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert json.loads(get(f"{base}/healthz")[1]) == {"ok": True}
            for _ in range(4):  # several, so both workers are likely exercised
                status, reply = signed_command(
                    base, SECRET, "acme bistro", fixtures.REP_A, slack.response_url()
                )
                assert status == 200
                assert section_titles(reply["blocks"]) == [
                    "*Likely to reorder*",
                    "*New for this customer*",
                ]
            # Each worker boots (and calls auth.test) on its own; on a busy machine the second
            # may still be starting after the first has answered.
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and (
                len(_children(proc.pid)) < 2 or len(slack.calls) < 2
            ):
                time.sleep(0.2)
            workers = _children(proc.pid)
            assert len(workers) == 2
            for pid in [proc.pid, *workers]:
                assert _maps_mention(pid, "python"), "cannot read the process map"
                assert not _maps_mention(pid, "tensorflow")
            assert [c.method for c in slack.calls] == ["auth.test", "auth.test"]
        finally:
            proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=30)
    assert BOT_TOKEN not in out and SECRET not in out
    assert "HTTP on port" in out


def test_socket_mode_opens_a_connection_with_the_app_token(
    filled, database_url: str, tmp_path: Path
) -> None:
    with SlackStandIn() as slack:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.server"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=clean_env(
                SLACK_BOT_TOKEN=BOT_TOKEN,
                SLACK_APP_TOKEN="xapp-1-test",
                SLACK_API_URL=slack.api_url,
                DATABASE_URL=database_url,
                SCHEDULER="off",
            ),
        )
        try:
            [call, *_] = slack.wait_for("apps.connections.open", timeout=60)
            assert call.token == "xapp-1-test"
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=30)


def test_bot_package_never_imports_model_code() -> None:
    banned = {"model", "tensorflow", "keras", "pandas", "numpy"}
    for path in (REPO / "bot").rglob("*.py"):
        if path.parent.name == "cli" and path.name != "serve_command.py":
            continue  # other teams' commands; serving never imports them (see bot.server)
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not {n.split(".")[0] for n in names} & banned, f"{path}: {names}"
