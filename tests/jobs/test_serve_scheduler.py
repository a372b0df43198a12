"""`recbot serve` starts one scheduler child beside gunicorn; it loads no TensorFlow and ends
with the server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine

from tests.bot.conftest import SECRET
from tests.bot.signing import get
from tests.slack_standin import BOT_TOKEN, SlackStandIn

RECBOT = str(Path(sys.executable).with_name("recbot"))


def children(pid: int) -> dict[int, str]:
    """Child pid -> command line."""
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                out[int(stat.parent.name)] = (
                    (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                )
        except (OSError, ValueError, IndexError):
            continue
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_serve_runs_one_scheduler_child_that_ends_with_it(db: Engine, tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = db.url.render_as_string(hide_password=False)
    with SlackStandIn() as slack:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SCHEDULER"))}
        env.update(
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            PORT=str(port),
            SLACK_API_URL=slack.api_url,
            WEB_CONCURRENCY="2",
            WEB_THREADS="2",
            DATABASE_URL=url,
        )
        proc = subprocess.Popen(
            [RECBOT, "serve"],
            cwd=tmp_path,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    if get(f"http://127.0.0.1:{port}/healthz")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.2)
            # gunicorn's second worker may still be forking after the first has answered.
            while time.monotonic() < deadline and len(children(proc.pid)) < 3:
                time.sleep(0.2)
            kids = children(proc.pid)
            schedulers = [pid for pid, cmd in kids.items() if "-m bot.jobs" in cmd]
            assert len(schedulers) == 1 and len(kids) == 3, kids  # + two gunicorn workers
            scheduler = schedulers[0]
            for pid in kids:
                assert "tensorflow" not in Path(f"/proc/{pid}/maps").read_text()
        finally:
            proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=30)
    assert "scheduler started beside the server" in out
    deadline = time.monotonic() + 20
    while alive(scheduler) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(scheduler)
