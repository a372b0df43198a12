"""TensorFlow's load-time notices stay off the terminal; everything else written to stderr shows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from model.quiet_tf import NOTICES, _dropping

REPO = Path(__file__).resolve().parents[2]


def test_only_the_known_notices_are_dropped(capfd):
    with _dropping(NOTICES):
        os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are ...\n")
        os.write(2, b"I0000 port.cc:153] oneDNN custom operations are on. You may see ...\n")
        os.write(2, b"E0000 something real went wrong\n")
    assert capfd.readouterr().err == "E0000 something real went wrong\n"


def test_importing_keras_prints_nothing_on_stderr():
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    code = "from model.quiet_tf import import_keras; print(import_keras().__name__)"
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    assert proc.stdout == "keras\n" and proc.stderr == ""
