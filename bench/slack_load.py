"""Load test of `/recommend` through the real HTTP server (gunicorn), with Slack-signed requests.

Fills a PostgreSQL database with N customers and a live model's precomputed lists (once; reused
when already there), starts `recbot serve` against a local Slack stand-in, fires signed slash
commands from C concurrent keep-alive clients on 127.0.0.1 for a bounded time, and reports
requests/s, latency percentiles, the server's memory, and whether TensorFlow got loaded.

    .venv/bin/python bench/slack_load.py --runs 3
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from slack_sdk.signature import SignatureVerifier  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from db import rules  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.rule_set import RuleRef  # noqa: E402
from db.session import make_engine  # noqa: E402
from tests.slack_standin import BOT_TOKEN, SlackStandIn  # noqa: E402

SECRET = "bench-signing-secret"
FIRST = [
    "Acme",
    "Northwind",
    "Bluebird",
    "Granite",
    "Harbor",
    "Summit",
    "Pioneer",
    "Cedar",
    "Maple",
    "Silver",
    "Golden",
    "Riverside",
    "Lakeside",
    "Oak",
    "Evergreen",
    "Redwood",
]
SECOND = [
    "Bistro",
    "Grill",
    "Hotel",
    "Clinic",
    "Academy",
    "Foods",
    "Market",
    "Cafe",
    "Inn",
    "Hospital",
    "School",
    "Partners",
    "Kitchen",
    "Suites",
    "Care",
    "Traders",
]
SEGMENTS = ["Restaurants", "Hotels", "Hospitals", "Schools", "Offices", "Retail"]
# The live version of the bench: with a calibration (picks get a strength) and with customers
# who reorder their top picks on a rhythm (answers get a timing line). A database filled by an
# older version of this script is filled again.
BENCH_ARCH = "bench-v2"
METRICS = {
    "holdout": {"all": 0.4, "new": 0.1},
    "holdout_popularity": {"all": 0.25, "new": 0.05},
    "holdout_weeks": 12,
    "calibration": {
        "horizon_weeks": 12,
        "customers": 2000,
        "all": {"edges": [0.0, 0.1, 0.3], "rates": [0.05, 0.25, 0.7], "picks": [1, 1, 1]},
        "new": {"edges": [0.0, 0.25], "rates": [0.03, 0.12], "picks": [1, 1]},
    },
}
RHYTHM_PICKS, RHYTHM_ORDERS = 4, 5  # 20 purchase lines per customer, as many as before


def customer_name(i: int) -> str:
    return f"{FIRST[(i * 7) % 16]} {SECOND[(i * 11 + i // 16) % 16]} {i:05d}"


# -- data ---------------------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": parsed.database}
        ).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def fill(url: str, customers: int, products: int, per_mode: int = 50) -> None:
    engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as conn:
        have = conn.execute(text("SELECT count(*) FROM customers")).scalar()
        live = (
            conn.execute(text("SELECT arch FROM model_versions WHERE status='live'"))
            .scalars()
            .all()
        )
    if have == customers and live == [BENCH_ARCH]:
        print(f"data: reusing {customers} customers in {engine.url.database}")
        engine.dispose()
        return
    print(f"data: filling {customers} customers x {2 * per_mode} recommendations ...")
    started = time.monotonic()
    rng = random.Random(7)
    end = datetime(2026, 11, 2)
    chosen = [rng.sample(range(1, products + 1), 2 * per_mode) for _ in range(customers)]
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(
            "TRUNCATE feedback, recommendations, cold_start_recommendations, "
            "model_versions, rep_assignments, sales_reps, transactions, products, "
            "customers RESTART IDENTITY CASCADE"
        )
        _copy(
            cur,
            "customers (id, external_id, name, segment, region)",
            (
                (i, f"C{i:05d}", customer_name(i), SEGMENTS[i % 6], "North")
                for i in range(1, customers + 1)
            ),
        )
        _copy(
            cur,
            "products (id, external_id, name, category)",
            ((p, f"P{p:05d}", f"Product {p:04d}", "Dairy") for p in range(1, products + 1)),
        )
        cur.execute(
            "INSERT INTO model_versions (id, status, arch, trained_at, promoted_at, "
            "data_to, metrics) VALUES (1, 'live', %s, %s, %s, %s, %s)",
            (BENCH_ARCH, end, end, end, json.dumps(METRICS)),
        )
        _copy(
            cur,
            "recommendations (model_version_id, customer_id, mode, rank, product_id, "
            "score, reason)",
            _recommendations(chosen, per_mode),
        )
        _copy(
            cur,
            "cold_start_recommendations (model_version_id, segment, rank, product_id, "
            "score, reason)",
            (
                (1, seg, r, r, 1 / r, "popular")
                for seg in ["", *SEGMENTS]
                for r in range(1, per_mode + 1)
            ),
        )
        _copy(
            cur,
            "transactions (customer_id, product_id, quantity, amount, occurred_at)",
            _rhythms(rng, chosen, end),
        )
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    engine.dispose()
    print(f"data: filled in {time.monotonic() - started:.0f}s")


def _recommendations(chosen: list[list[int]], per_mode: int):
    for c, products in enumerate(chosen, 1):
        for r, p in enumerate(products[:per_mode], 1):
            yield 1, c, "all", r, p, 1 / r, "reorder: bought in 9 of last 12 weeks, not in last 3"
        for r, p in enumerate(products[per_mode:], 1):
            yield 1, c, "new", r, p, 0.5 / r, "new: bought by 12 similar accounts"


def _rhythms(rng: random.Random, chosen: list[list[int]], end: datetime):
    """Each customer orders its first RHYTHM_PICKS reorder picks every 1 to 4 weeks, the last
    time up to 8 weeks before the data's end: some not due yet, some due, some overdue."""
    for c, products in enumerate(chosen, 1):
        for p in products[:RHYTHM_PICKS]:
            every, last = 7 * rng.randint(1, 4), rng.randint(0, 56)
            quantity = rng.randint(1, 20)
            for i in range(RHYTHM_ORDERS):
                when = end - timedelta(days=last + every * i, hours=rng.randint(0, 8))
                yield c, p, quantity, 2.5 * quantity, when


def _copy(cur, target: str, rows) -> None:
    with cur.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


# -- business rules ------------------------------------------------------------------------------

CATEGORIES = 20


def bench_rules(n: int, products: int) -> list[RuleRef]:
    """n rules of every kind, as a team might have them: product recalls, category exclusions
    for a segment, strategic boosts, campaign promotions."""
    rng = random.Random(11)
    out: list[RuleRef] = []
    for i in range(n):
        product, category = f"P{rng.randint(1, products):05d}", f"Cat{i % CATEGORIES:02d}"
        match i % 5:
            case 0 | 1:
                out.append(rules.make_rule(f"recall {i}", "exclude", product=product))
            case 2:
                segment = SEGMENTS[i % len(SEGMENTS)]
                out.append(
                    rules.make_rule(
                        f"no {category} {i}", "exclude", category=category, segment=segment
                    )
                )
            case 3 | 4:
                kind, name = ("boost", "strategic") if i % 5 == 3 else ("promote", "campaign")
                out.append(
                    rules.make_rule(
                        f"{name} {i}",
                        kind,
                        product=product if i % 2 else None,
                        category=None if i % 2 else category,
                        multiplier=1.3 if kind == "boost" else None,
                    )
                )
    return out


def set_rules(url: str, n: int, entitlements: bool, products: int) -> None:
    """Install n rules and (with `entitlements`) a contract for every customer: 15 of the 20
    categories and 10 products; n = 0 and no entitlements removes them all."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE products SET category = 'Cat' || lpad((id % :k)::text, 2, '0') "
                "WHERE category = 'Dairy'"
            ),
            {"k": CATEGORIES},
        )
        rules.add_rules(conn, bench_rules(n, products), replace=True)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("TRUNCATE entitlements")
        if entitlements:
            customers = cur.execute("SELECT id FROM customers").fetchall()
            rng = random.Random(13)
            _copy(
                cur,
                "entitlements (customer_id, target, value)",
                _contracts(customers, rng, products),
            )
        cur.execute("ANALYZE entitlements")
        raw.commit()
    finally:
        raw.close()
    engine.dispose()


def _contracts(customers, rng: random.Random, products: int):
    for (c,) in customers:
        for k in rng.sample(range(CATEGORIES), 15):
            yield c, "category", f"Cat{k:02d}"
        for p in rng.sample(range(1, products + 1), 10):
            yield c, "product", f"P{p:05d}"


# -- server -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    url: str, api_url: str, port: int, workers: int, threads: int, exposure_log: str = "on"
):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(
        EXPOSURE_LOG=exposure_log,
        DATABASE_URL=url,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=api_url,
        PORT=str(port),
        WEB_CONCURRENCY=str(workers),
        WEB_THREADS=str(threads),
        SCHEDULER="off",
    )  # the Slack server alone
    log = open(Path(tempfile.gettempdir()) / "recbot_slack_load_server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("recbot")), "serve"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=REPO,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited; see {log.name}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not become healthy")


def server_pids(master: int) -> list[int]:
    pids = [master]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                pids.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            pass
    return pids


def memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in kB; PSS splits the pages the forked workers share with the master."""
    rss = pss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            pss = int(line.split()[1])
    return rss, pss


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (dead ones count as 0)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def postgres_backends(url: str) -> list[int]:
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    with engine.connect() as conn:
        pids = (
            conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = :d AND "
                    "pid <> pg_backend_pid()"
                ),
                {"d": make_url(url).database},
            )
            .scalars()
            .all()
        )
    engine.dispose()
    return list(pids)


def loads_tensorflow(pid: int) -> bool:
    return "tensorflow" in Path(f"/proc/{pid}/maps").read_text()


# -- load ---------------------------------------------------------------------------------------


def queries(customers: int, n: int, rng: random.Random) -> list[tuple[str, str]]:
    """(text, kind): mostly exact names, some external ids, partial names and typos."""
    out = []
    for _ in range(n):
        i = rng.randint(1, customers)
        name, roll = customer_name(i), rng.random()
        if roll < 0.6:
            out.append((name.lower(), "name"))
        elif roll < 0.85:
            out.append((f"C{i:05d}", "id"))
        elif roll < 0.95:
            out.append((name.split(" ", 1)[1], "partial"))  # e.g. "Bistro 00012"
        else:
            out.append((name[:3] + name[4:], "typo"))  # one letter dropped
    return out


def slash_command(query: str) -> str:
    """The form body Slack posts for `/recommend <query>`."""
    return urlencode(
        {
            "command": "/recommend",
            "text": query,
            "user_id": "U0BENCH",
            "team_id": "T0STANDIN",
            "channel_id": "C0BENCH",
            "api_app_id": "A0",
            "response_url": "http://127.0.0.1:9/none",
            "trigger_id": "1",
        }
    )


def client(
    port: int,
    texts: list[tuple[str, str]],
    stop_at: float,
    results: list,
    verifier: SignatureVerifier,
    interval: float,
    offset: float,
) -> None:
    """Closed loop when interval is 0; else one request every `interval` seconds on a fixed
    schedule, latency counted from the scheduled time (no coordinated omission)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    i = 0
    next_at = time.perf_counter() + offset
    while time.monotonic() < stop_at:
        query, kind = texts[i % len(texts)]
        i += 1
        body = slash_command(query).encode()
        if interval:
            delay = next_at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            t0, next_at = next_at, next_at + interval
        else:
            t0 = time.perf_counter()
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body),
        }
        try:
            conn.request("POST", "/slack/events", body, headers)
            response = conn.getresponse()
            data = response.read()
            ok = response.status == 200 and (
                b"Likely to reorder" in data or kind in ("partial", "typo")
            )
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            ok = False
        results.append((time.perf_counter() - t0, ok, kind))


def run_load(
    port: int,
    customers: int,
    concurrency: int,
    duration: float,
    warmup: float,
    seed: int,
    rate: float,
) -> dict:
    rng = random.Random(seed)
    verifier = SignatureVerifier(SECRET)
    warm: list = []
    warm_stop = time.monotonic() + warmup
    interval = concurrency / rate if rate else 0.0
    threads = [
        threading.Thread(
            target=client,
            args=(
                port,
                queries(customers, 200, rng),
                warm_stop,
                warm,
                verifier,
                interval,
                interval * i / concurrency,
            ),
        )
        for i in range(concurrency)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results: list = []
    stop_at = time.monotonic() + duration
    started = time.monotonic()
    threads = [
        threading.Thread(
            target=client,
            args=(
                port,
                queries(customers, 2000, rng),
                stop_at,
                results,
                verifier,
                interval,
                interval * i / concurrency,
            ),
        )
        for i in range(concurrency)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    lat = sorted(r[0] * 1000 for r in results)
    if not lat:
        raise SystemExit("no request completed")
    q = statistics.quantiles(lat, n=100)
    kinds: dict[str, int] = {}
    for _, _, kind in results:
        kinds[kind] = kinds.get(kind, 0) + 1
    return {
        "requests": len(results),
        "rps": len(results) / elapsed,
        "p50_ms": q[49],
        "p90_ms": q[89],
        "p99_ms": q[98],
        "max_ms": lat[-1],
        "errors": sum(1 for r in results if not r[1]),
        "mix": kinds,
    }


WRK_SCRIPT = r"""
local requests, n, i = {}, 0, 0
function init(args)
  local f = assert(io.open(args[1], "r"))
  for line in f:lines() do
    local ts, sig, body = line:match("^(%S+) (%S+) (.*)$")
    n = n + 1
    requests[n] = wrk.format("POST", "/slack/events", {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["X-Slack-Request-Timestamp"] = ts,
      ["X-Slack-Signature"] = sig,
    }, body)
  end
  f:close()
  i = math.random(n)
end
function request()
  i = i % n + 1
  return requests[i]
end
function done(summary, latency, requests)
  io.write(string.format(
    'WRK {"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p90_ms": %.2f, "p99_ms": %.2f, '
    .. '"max_ms": %.2f, "errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(90) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout))
end
"""


def run_wrk(port: int, customers: int, concurrency: int, duration: float, seed: int) -> dict:
    """The same signed slash commands fired by Debian's `wrk` (C, event loop, 2 threads): the
    load generator costs far less CPU than the Python clients, so more of the 2 cores go to the
    server. Requests are signed up front (Slack accepts a timestamp for 5 minutes)."""
    verifier = SignatureVerifier(SECRET)
    ts = str(int(time.time()))
    with tempfile.TemporaryDirectory() as tmp:
        lines = []
        for query, _ in queries(customers, 5000, random.Random(seed)):
            body = slash_command(query)
            signature = verifier.generate_signature(timestamp=ts, body=body)
            lines.append(f"{ts} {signature} {body}")
        requests_file = Path(tmp) / "requests.txt"
        requests_file.write_text("\n".join(lines) + "\n")
        script = Path(tmp) / "signed.lua"
        script.write_text(WRK_SCRIPT)
        command = [
            "wrk",
            "-t2",
            f"-c{concurrency}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
            "--",
            str(requests_file),
        ]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRK "))
    stats = json.loads(line[4:])
    return {
        "requests": stats["requests"],
        "rps": stats["requests"] / stats["seconds"],
        "p50_ms": stats["p50_ms"],
        "p90_ms": stats["p90_ms"],
        "p99_ms": stats["p99_ms"],
        "max_ms": stats["max_ms"],
        "errors": stats["errors"],
        "mix": "wrk",
    }


def data_arguments(parser: argparse.ArgumentParser) -> None:
    """The bench database and its size (shared with bench/rules_cost.py)."""
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/recbot_bench_slack"
    )
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--products", type=int, default=500)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_arguments(parser)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument(
        "--rate",
        type=float,
        default=200.0,
        help="offered requests/s over all clients; 0 = as fast as they can",
    )
    parser.add_argument(
        "--rules", type=int, default=0, help="pair each run with one under this many rules"
    )
    parser.add_argument(
        "--entitlements",
        action="store_true",
        help="pair each run with one where every customer has an entitlement list",
    )
    parser.add_argument(
        "--client",
        choices=["python", "wrk"],
        default="python",
        help="wrk (Debian's HTTP load tool) for max-rate runs; python for paced (--rate) runs",
    )
    parser.add_argument(
        "--exposures",
        action="store_true",
        help="pair each run with exposure logging off against on (the server restarts)",
    )
    args = parser.parse_args()
    by_rules = bool(args.rules or args.entitlements)
    paired = by_rules or args.exposures
    names = ("exposures off", "exposures on") if args.exposures else ("without rules", "with rules")

    ensure_database(args.database_url)
    fill(args.database_url, args.customers, args.products)
    if paired:
        set_rules(args.database_url, 0, False, args.products)
    port = free_port()
    runs = []
    modes: dict[str, list[dict]] = {names[0]: [], names[1]: []}
    logged_before = count_exposures(args.database_url)
    with SlackStandIn() as slack:
        order = list(modes) if paired else [names[0]]
        plan = [m for i in range(args.runs) for m in (order if i % 2 == 0 else order[::-1])]
        logging = "on" if not args.exposures or plan[0] == names[1] else "off"
        proc = start_server(
            args.database_url, slack.api_url, port, args.workers, args.threads, logging
        )
        try:
            for i, mode in enumerate(plan):
                wanted = "on" if not args.exposures or mode == names[1] else "off"
                if wanted != logging:
                    proc.send_signal(signal.SIGTERM)
                    proc.wait(timeout=30)
                    logging = wanted
                    proc = start_server(
                        args.database_url, slack.api_url, port, args.workers, args.threads, logging
                    )
                    run_wrk(port, args.customers, args.concurrency, args.warmup, seed=98)
                if by_rules:
                    on = mode == "with rules"
                    set_rules(
                        args.database_url,
                        args.rules if on else 0,
                        args.entitlements and on,
                        args.products,
                    )
                pids = server_pids(proc.pid)
                backends = postgres_backends(args.database_url)
                cpu0 = cpu_seconds(pids), cpu_seconds(backends), time.process_time()
                if args.client == "wrk":
                    if i == 0:
                        run_wrk(port, args.customers, args.concurrency, args.warmup, seed=99)
                    result = run_wrk(port, args.customers, args.concurrency, args.duration, seed=i)
                else:
                    result = run_load(
                        port,
                        args.customers,
                        args.concurrency,
                        args.duration,
                        args.warmup if i == 0 else 1.0,
                        seed=i,
                        rate=args.rate,
                    )
                backends = sorted(set(backends) | set(postgres_backends(args.database_url)))
                n = result["requests"]
                result["cpu_ms_per_request"] = {
                    "server": round((cpu_seconds(pids) - cpu0[0]) * 1000 / n, 2),
                    "postgres": round((cpu_seconds(backends) - cpu0[1]) * 1000 / n, 2),
                    "load_client": round((time.process_time() - cpu0[2]) * 1000 / n, 2),
                }
                mem = {pid: memory_kb(pid) for pid in pids}
                result["rss_mb_per_process"] = [round(m[0] / 1024) for m in mem.values()]
                result["rss_mb_total"] = round(sum(m[0] for m in mem.values()) / 1024)
                result["pss_mb_total"] = round(sum(m[1] for m in mem.values()) / 1024)
                result["tensorflow_loaded"] = any(loads_tensorflow(p) for p in pids)
                result["loadavg_1m"] = round(os.getloadavg()[0], 2)
                runs.append(result)
                modes[mode].append(result)
                shown = {k: round(v, 1) if isinstance(v, float) else v for k, v in result.items()}
                print(json.dumps({"mode": mode, **shown} if paired else shown))
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    if paired:
        set_rules(args.database_url, 0, False, args.products)
        print_pairs(modes, args, names)
        logged = count_exposures(args.database_url) - logged_before
        print(json.dumps({"exposures_written": logged}))
        return
    summary = {
        k: round(statistics.median(r[k] for r in runs), 1)
        for k in ("rps", "p50_ms", "p90_ms", "p99_ms", "rss_mb_total", "pss_mb_total")
    }
    summary["errors"] = sum(r["errors"] for r in runs)
    summary["server_cpu_ms_per_request"] = round(
        statistics.median(r["cpu_ms_per_request"]["server"] for r in runs), 2
    )
    summary["postgres_cpu_ms_per_request"] = round(
        statistics.median(r["cpu_ms_per_request"]["postgres"] for r in runs), 2
    )
    summary["tensorflow_loaded"] = any(r["tensorflow_loaded"] for r in runs)
    load = os.getloadavg()[0]
    print(
        json.dumps(
            {
                "median_of_runs": len(runs),
                "offered_rps": args.rate or "max",
                "workers": args.workers,
                "threads": args.threads,
                **summary,
                "loadavg_1m_after": round(load, 2),
            }
        )
    )


def count_exposures(url: str) -> int:
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM exposures")).scalar_one()
    engine.dispose()
    return int(n)


def print_pairs(
    modes: dict[str, list[dict]], args: argparse.Namespace, names: tuple[str, str]
) -> None:
    """Each mode's medians, and with rules against without: throughput and p99."""
    out: dict[str, dict] = {}
    for mode, results in modes.items():
        out[mode] = {
            k: round(statistics.median(r[k] for r in results), 1)
            for k in ("rps", "p50_ms", "p99_ms")
        }
        for side in ("server", "postgres"):
            out[mode][f"{side}_cpu_ms_per_request"] = round(
                statistics.median(r["cpu_ms_per_request"][side] for r in results), 2
            )
        out[mode]["errors"] = sum(r["errors"] for r in results)
    base, ruled = out[names[0]], out[names[1]]
    print(
        json.dumps(
            {
                "median_of_runs": args.runs,
                "rules": args.rules,
                "exposures_compared": args.exposures,
                "entitlements": args.entitlements,
                "offered_rps": args.rate or "max",
                **out,
                f"rps_{names[1]}_over_{names[0]}".replace(" ", "_"): round(
                    ruled["rps"] / base["rps"], 3
                ),
                f"p99_{names[1]}_over_{names[0]}".replace(" ", "_"): round(
                    ruled["p99_ms"] / base["p99_ms"], 3
                ),
                "loadavg_1m_after": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
