"""Keras and TensorFlow without their start-up chatter: importers of keras call `import_keras`.

TF_CPP_MIN_LOG_LEVEL=3 (unless already set) hides TensorFlow's C++ info and warning lines, but
only those logged after its logging has started. TensorFlow 2.19 and later still print, while
their libraries load and once per library,

    WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
    I0000 ... port.cc:153] oneDNN custom operations are on. You may see slightly different ...

whatever the environment says. The only variable that stops the second line,
TF_ENABLE_ONEDNN_OPTS=0, also turns oneDNN off, which changes float results; it is left as the
user set it. Instead the first import runs with file descriptor 2 pointed at a temporary file, and
everything captured except those two notices is written back to stderr afterwards: real warnings
and errors still show.
The two notices are kept when TF_CPP_MIN_LOG_LEVEL is set to 0 (show info lines) before the import.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

NOTICES = re.compile(
    rb"All log messages before absl::InitializeLog\(\) is called|oneDNN custom operations are on"
)
_lock = threading.Lock()


def import_keras() -> ModuleType:
    """The keras module, TensorFlow imported under it with the notices above dropped."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "keras" not in sys.modules:
        with _lock, _dropping(NOTICES if os.environ["TF_CPP_MIN_LOG_LEVEL"] != "0" else None):
            import keras  # noqa: F401  (loads TensorFlow, inside the capture)
    return sys.modules["keras"]


@contextmanager
def _dropping(notices: re.Pattern[bytes] | None) -> Iterator[None]:
    """Capture what is written to file descriptor 2, then write it back less `notices` lines."""
    if notices is None:
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no usable stderr: nothing to keep clean
        yield
        return
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield
        finally:
            try:
                sys.stderr.flush()
            finally:
                os.dup2(saved, 2)
                os.close(saved)
            tmp.seek(0)
            kept = [line for line in tmp.read().splitlines(True) if not notices.search(line)]
            data = b"".join(kept)
            while data:
                data = data[os.write(2, data) :]
