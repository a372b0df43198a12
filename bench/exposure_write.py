"""What logging one answer's exposures costs, in CPU, away from the HTTP bench's noise.

    .venv/bin/python bench/exposure_write.py                       # PostgreSQL and SQLite
    .venv/bin/python bench/exposure_write.py --rows-per-answer 10 --answers 20000 --rounds 5

Per round: `answers` answers' rows are built (`db.exposures.exposure`, as `of_served` does) and
queued in an `ExposureLog`, then written by its `flush` in batches of 2,000 (the server's thread
does the same once a second). Measured per answer: this process's CPU to build and queue, its
CPU to write, and the PostgreSQL backend's CPU (from /proc), medians over rounds. The Slack
bench's CPU per request (server + PostgreSQL, bench/RESULTS.md) is the yardstick: the cost
over it predicts the throughput ratio with logging on.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import Engine, text  # noqa: E402

from bench.digest_bench import ensure_database  # noqa: E402
from bot.exposure_log import ExposureLog  # noqa: E402
from db import exposures  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.session import make_engine  # noqa: E402

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/recbot_bench_exposures"


def backend_cpu(engine: Engine) -> float:
    """CPU seconds so far of the pool's (single) PostgreSQL backend."""
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_round(engine: Engine, answers: int, per_answer: int, postgres: bool) -> dict:
    log = ExposureLog(engine, flush_every_s=3600, max_pending=answers * per_answer)
    log._pid = os.getpid()  # no writer thread: this round's flush is the only writer
    now = datetime.now(UTC).replace(tzinfo=None)
    before = backend_cpu(engine) if postgres else 0.0
    c0 = time.process_time()
    for a in range(answers):
        customer = a % 10_000
        log.record(
            [
                exposures.exposure(
                    now,
                    customer,
                    (customer * 7 + r) % 997,
                    r % 5 + 1,
                    "reorder",
                    "answer",
                    3,
                    "U0BENCH",
                )
                for r in range(per_answer)
            ]
        )
    c1 = time.process_time()
    written = log.flush()
    c2 = time.process_time()
    after = backend_cpu(engine) if postgres else 0.0
    assert written == answers * per_answer, (written, answers * per_answer)
    return {
        "build_and_queue_us": 1e6 * (c1 - c0) / answers,
        "write_client_us": 1e6 * (c2 - c1) / answers,
        "write_postgres_us": 1e6 * (after - before) / answers,
    }


def measure(url: str, answers: int, per_answer: int, rounds: int) -> dict:
    engine = (
        make_engine(url, pool_size=1, max_overflow=0) if "postgresql" in url else make_engine(url)
    )
    upgrade(engine)
    postgres = engine.dialect.name == "postgresql"
    one_round(engine, 500, per_answer, postgres)  # warm up
    results = [one_round(engine, answers, per_answer, postgres) for _ in range(rounds)]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM exposures WHERE slack_user_id = 'U0BENCH'"))
    engine.dispose()
    medians = {k: round(statistics.median(r[k] for r in results), 1) for k in results[0]}
    medians["total_cpu_us_per_answer"] = round(sum(medians.values()), 1)
    return {"store": engine.dialect.name, "rows_per_answer": per_answer, **medians}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=PG)
    parser.add_argument("--answers", type=int, default=20_000)
    parser.add_argument("--rows-per-answer", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    ensure_database(args.database_url)
    print(json.dumps(measure(args.database_url, args.answers, args.rows_per_answer, args.rounds)))
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/exposures.db"
            print(json.dumps(measure(url, args.answers, args.rows_per_answer, args.rounds)))


if __name__ == "__main__":
    main()
