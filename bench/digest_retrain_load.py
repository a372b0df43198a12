"""Serving latency while a retrain runs: bench/slack_load.py without and with a training child.

Alternates: a baseline load run, then a load run while the retrain job (the real `recbot train`
in its child process, nice 10, on the demo data set in a second database on the same PostgreSQL
server) is training; retrains are restarted back to back so one is always running. Reports the
p99 (and p50) of each run and the medians.

    .venv/bin/python bench/digest_retrain_load.py --pairs 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.jobs.retrain import RetrainJob, train_command  # noqa: E402
from bot.settings import JobSettings  # noqa: E402
from db.session import make_engine  # noqa: E402

RECBOT = str(Path(sys.executable).with_name("recbot"))
sys.path.insert(0, str(REPO / "bench"))
from digest_bench import ensure_database  # noqa: E402


def prepare_training_db(url: str) -> None:
    ensure_database(url)
    env = {"DATABASE_URL": url, "PATH": str(Path(sys.executable).parent)}
    subprocess.run([RECBOT, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run(
        [RECBOT, "demo", "--data-dir", str(REPO / "bench" / "out" / "demo-data")],
        env=env,
        check=True,
        capture_output=True,
        cwd=REPO,
    )


def load(args: argparse.Namespace) -> dict:
    out = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "slack_load.py"),
            "--runs",
            "1",
            "--duration",
            str(args.duration),
            "--rate",
            str(args.rate),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


class Trainer:
    """Keeps one retrain running (back to back) until stopped."""

    def __init__(self, url: str) -> None:
        self.job = RetrainJob(
            make_engine(url),
            JobSettings(retrain_timeout_s=3600),
            command=train_command(),
            owner="bench:retrain",
        )
        self.stopping = threading.Event()
        self.outcomes: list[str] = []
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self.stopping.is_set():
            self.outcomes.append(self.job.run(manual=True).outcome)

    def start(self) -> None:
        self.thread.start()

    def running(self) -> bool:
        proc = self.job._proc
        return proc is not None and proc.poll() is None

    def stop(self) -> None:
        self.stopping.set()
        self.job.stop()
        self.thread.join(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--train-database-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/recbot_jobs_train",
    )
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument(
        "--settle",
        type=float,
        default=10.0,
        help="seconds between starting the retrain and the load (TF start-up)",
    )
    args = parser.parse_args()

    prepare_training_db(args.train_database_url)
    base, during = [], []
    for i in range(args.pairs):
        base.append(load(args))
        print(json.dumps({"pair": i + 1, "retrain": False, **base[-1]}), flush=True)
        trainer = Trainer(args.train_database_url)
        trainer.start()
        time.sleep(args.settle)
        try:
            result = load(args)
            result["retrain_running_at_end"] = trainer.running()
        finally:
            trainer.stop()
        result["retrain_outcomes"] = trainer.outcomes
        during.append(result)
        print(json.dumps({"pair": i + 1, "retrain": True, **result}), flush=True)
    p99_base = statistics.median(r["p99_ms"] for r in base)
    p99_during = statistics.median(r["p99_ms"] for r in during)
    print(
        json.dumps(
            {
                "pairs": args.pairs,
                "offered_rps": args.rate,
                "p50_ms_baseline": statistics.median(r["p50_ms"] for r in base),
                "p50_ms_during_retrain": statistics.median(r["p50_ms"] for r in during),
                "p99_ms_baseline": p99_base,
                "p99_ms_during_retrain": p99_during,
                "p99_change_pct": round(100 * (p99_during / p99_base - 1), 1),
                "errors": sum(r["errors"] for r in base + during),
            }
        )
    )


if __name__ == "__main__":
    main()
