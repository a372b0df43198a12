"""An installation without the `train` extra (the serving image) serves and explains the rest."""

from __future__ import annotations

import subprocess
import sys

import pytest

HIDE_TRAINING = (
    "import sys\n"
    "for name in ('tensorflow', 'keras', 'scipy', 'matplotlib'): sys.modules[name] = None\n"
    "from bot.cli import main\n"
    "sys.argv = ['recbot', *sys.argv[1:]]\n"
    "main()\n"
)


def recbot_without_training(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", HIDE_TRAINING, *args], cwd=cwd, capture_output=True, text=True
    )


@pytest.mark.parametrize("args", [["train"], ["evaluate", "--cutoff", "2026-01-01"]])
def test_training_commands_say_which_extra_they_need(tmp_path, args):
    out = recbot_without_training(*args, cwd=tmp_path)
    assert out.returncode == 1
    assert out.stderr.strip().count("\n") == 0 and "pip install 'recbot[train]'" in out.stderr


def test_help_and_serving_commands_need_no_training_extra(tmp_path):
    out = recbot_without_training("--help", cwd=tmp_path)
    assert out.returncode == 0 and "serve" in out.stdout
    out = recbot_without_training("db", "upgrade", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
