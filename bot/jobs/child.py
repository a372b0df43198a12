"""Launcher for the jobs' child processes: `python -m bot.jobs.child [--idle] -- COMMAND...`.

It sets up the child in its own, single-threaded interpreter and then execs COMMAND, so nothing
runs between fork and exec in the (multi-threaded) scheduler: `subprocess`'s `preexec_fn` can
deadlock there. In the child:

- it dies with the process that started it (Linux PR_SET_PDEATHSIG), so no orphan trains
  unsupervised after the scheduler is killed, even with SIGKILL;
- with --idle it yields the CPU to serving: SCHED_IDLE on Linux (it runs only on CPU time
  nothing else wants), else the lowest nice level.

libc is looked up at run time and only on Linux; where it cannot be loaded (a musl image without
`libc.so.6`, say) the child still runs, without the death signal, and says so on stderr.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys

PR_SET_PDEATHSIG = 1
CHILD_NICE = 19


def launch_command(command: list[str], idle: bool = False) -> list[str]:
    """`command` wrapped in this launcher (what the scheduler passes to Popen)."""
    return [sys.executable, "-m", "bot.jobs.child", *(["--idle"] if idle else []), "--", *command]


def die_with_parent(parent_pid: int) -> bool:
    """Ask the kernel to SIGKILL this process when its parent dies; False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(1)
    return True


def stop_group(proc: subprocess.Popen, grace_s: float = 10.0) -> None:
    """SIGTERM a child started in its own session (its process group), then SIGKILL it if it
    lingers."""
    for sig, grace in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def yield_cpu() -> None:
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        os.nice(CHILD_NICE)


def main(argv: list[str]) -> None:
    idle = "--idle" in argv[: argv.index("--")] if "--" in argv else False
    command = argv[argv.index("--") + 1 :] if "--" in argv else []
    if not command:
        sys.exit("usage: python -m bot.jobs.child [--idle] -- COMMAND...")
    if not die_with_parent(os.getppid()) and sys.platform.startswith("linux"):
        print(
            "warning: cannot set the parent-death signal; the child may outlive its parent",
            file=sys.stderr,
        )
    if idle:
        yield_cpu()
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
