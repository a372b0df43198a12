"""CPU seconds each process on the machine spends while a command runs, grouped by role.

Usage: python bench/cpu_by_process.py COMMAND [ARGS...]

Samples /proc every 0.5 s and keeps each process's last user + system time, so processes that
start and end during the command (a PostgreSQL backend, the sync's reader process) are counted
up to their last sample; a process alive before the command counts only what it spent during
it. Prints one line: wall seconds, then CPU seconds per role, busiest first. Linux only.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
_POSTGRES_HELPERS = ("checkpointer", "walwriter", "background writer", "autovacuum", "parallel")


def _role(pid: str) -> str:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""
    if "mysql_reader.py" in cmdline:
        return "reader"
    if comm.startswith("postgres") or cmdline.startswith("postgres"):
        return next((f"postgres-{h}" for h in _POSTGRES_HELPERS if h in cmdline), "postgres")
    return comm  # recbot, mariadbd, mariadb (the client), …


def _cpu(pid: str) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


def _sample(seen: dict[str, tuple[str, float]]) -> None:
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        cpu = _cpu(pid)
        if cpu is None:
            continue
        role = seen[pid][0] if pid in seen else _role(pid)
        if role:
            seen[pid] = (role, cpu)


def main() -> int:
    before: dict[str, tuple[str, float]] = {}
    _sample(before)
    seen = dict(before)
    start = time.monotonic()
    child = subprocess.Popen(sys.argv[1:])
    while child.poll() is None:
        _sample(seen)
        time.sleep(0.5)
    _sample(seen)
    wall = time.monotonic() - start
    totals: dict[str, float] = {}
    for pid, (role, cpu) in seen.items():
        spent = cpu - (before[pid][1] if pid in before else 0.0)
        if spent > 0:
            totals[role] = totals.get(role, 0.0) + spent
    busiest = sorted(totals.items(), key=lambda item: -item[1])
    roles = " ".join(f"{role}={cpu:.1f}" for role, cpu in busiest if cpu >= 0.1)
    total = sum(totals.values())
    print(f"cpu_by_process wall_s={wall:.1f} total={total:.1f} {roles}", file=sys.stderr)
    return child.returncode


if __name__ == "__main__":
    raise SystemExit(main())
