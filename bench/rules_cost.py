"""What the catalogue rules cost one answer, without the HTTP server: `serving.served` for the
same customers without rules and with N rules and an entitlement list for every customer
(bench/slack_load.py's data and rules), alternating, several rounds. Per answer: wall time,
this process's CPU and the PostgreSQL backend's CPU (from /proc), so a loaded machine disturbs
the CPU figures far less than the wall times.

    .venv/bin/python bench/rules_cost.py --rounds 3 --answers 1000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import text  # noqa: E402

from bench.slack_load import data_arguments, ensure_database, fill, set_rules  # noqa: E402
from db import serving  # noqa: E402
from db.queries import customer_by_id  # noqa: E402
from db.session import make_engine  # noqa: E402

NOW = datetime(2026, 11, 2, 12)


def backend_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_round(url: str, customers: list[int], n: int) -> dict:
    engine = make_engine(url)
    with engine.connect() as conn:
        backend = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        model = serving.live_model(conn)
        assert model is not None
        refs = [customer_by_id(conn, c) for c in customers]
        for ref in refs[:50]:  # warm: statement caches, the rules cache
            assert ref is not None
            serving.served(conn, model, ref, n, NOW)
        fallbacks = 0
        wall0, cpu0, pg0 = time.perf_counter(), time.process_time(), backend_cpu_s(backend)
        for ref in refs:
            assert ref is not None
            fallbacks += serving.served(conn, model, ref, n, NOW).fallback > 0
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        pg = backend_cpu_s(backend) - pg0
    engine.dispose()
    k = len(refs)
    return {
        "wall_ms": 1000 * wall / k,
        "client_cpu_ms": 1000 * cpu / k,
        "postgres_cpu_ms": 1000 * pg / k,
        "answers_with_fallback": fallbacks,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_arguments(parser)
    parser.add_argument("--rules", type=int, default=20)
    parser.add_argument("--answers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--top", type=int, default=5)
    args = parser.parse_args()
    ensure_database(args.database_url)
    fill(args.database_url, args.customers, args.products)
    customers = random.Random(5).sample(range(1, args.customers + 1), args.answers)
    modes: dict[str, list[dict]] = {"without rules": [], "with rules": []}
    for i in range(args.rounds):
        for mode in list(modes) if i % 2 == 0 else list(modes)[::-1]:
            on = mode == "with rules"
            set_rules(args.database_url, args.rules if on else 0, on, args.products)
            result = one_round(args.database_url, customers, args.top)
            modes[mode].append(result)
            print(json.dumps({"mode": mode, **{k: round(v, 3) for k, v in result.items()}}))
    set_rules(args.database_url, 0, False, args.products)
    summary = {
        mode: {k: round(statistics.median(r[k] for r in rs), 3) for k in rs[0]}
        for mode, rs in modes.items()
    }
    print(
        json.dumps(
            {
                "median_of_rounds": args.rounds,
                "answers_per_round": args.answers,
                **summary,
                "loadavg_1m_after": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
