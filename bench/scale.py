"""Time and peak memory of each stage against data size: generate, import, train + publish.

    .venv/bin/python bench/scale.py                      # all four sizes
    .venv/bin/python bench/scale.py --sizes 1M,4M        # the small ones
    .venv/bin/python bench/scale.py --sizes 20M --reuse  # keep an already generated file

For each size: `recbot generate --profile b2b` (customers x products x transactions), a fresh
PostgreSQL database recbot_scale_<size> migrated with `recbot db upgrade`, `recbot import`
customers, products and transactions, VACUUM ANALYZE, then `recbot train` (aggregate, fit,
similar products, score every customer and publish). Each stage is its own process under
/usr/bin/time -v (wall time, peak RSS); the load average is sampled while it runs. Writes
bench/out/scale/results.json, results.md and scale.png (time and peak memory against size).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
RECBOT = str(ROOT / ".venv" / "bin" / "recbot")
SIZES = {  # customers, products, transactions ("smoke" checks the script in a minute)
    "smoke": (500, 100, 20_000),
    "1M": (10_000, 2_000, 1_000_000),
    "4M": (40_000, 8_000, 4_000_000),
    "10M": (100_000, 20_000, 10_000_000),
    "20M": (200_000, 30_000, 20_000_000),
}
STAGES = ("generate", "import", "train")


@dataclass
class Stage:
    size: str
    stage: str
    wall_s: float
    peak_rss_mb: float
    load_max: float
    exit_code: int
    detail: dict[str, float] = field(default_factory=dict)


class LoadSampler(threading.Thread):
    """The highest 1-minute load average seen while a stage runs (sampled every 5 s)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.highest = _load()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(5):
            self.highest = max(self.highest, _load())


def _load() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def timed(size: str, stage: str, cmd: list[str], env: dict[str, str], log: Path) -> Stage:
    """Run one stage under /usr/bin/time -v; its output goes to `log`."""
    times = log.with_suffix(".time")
    sampler = LoadSampler()
    sampler.start()
    with log.open("w") as out:
        code = subprocess.call(
            ["/usr/bin/time", "-v", "-o", str(times), *cmd], stdout=out, stderr=out, env=env
        )
    sampler.done.set()
    text = times.read_text()
    wall = _clock(re.search(r"Elapsed \(wall clock\) time.*: (\S+)", text))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024  # type: ignore[union-attr]
    result = Stage(size, stage, wall, round(rss, 1), sampler.highest, code)
    print(
        f"{size:>4} {stage:<10} {wall:8.1f} s {rss:8.0f} MB  load<= {sampler.highest:.2f}"
        + (f"  EXIT {code}, see {log}" if code else ""),
        flush=True,
    )
    return result


def _clock(match: re.Match[str] | None) -> float:
    parts = [float(x) for x in match.group(1).split(":")] if match else [0.0]
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds


def train_timings(log: Path) -> dict[str, float]:
    """The `time:` line of `recbot train`: aggregate, train, similar, precompute_and_switch."""
    line = next((x for x in log.read_text().splitlines() if x.strip().startswith("time:")), "")
    return {k: float(v) for k, v in re.findall(r"(\w+) ([\d.]+)s", line)}


def fresh_database(admin: str, name: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def run_size(label: str, args: argparse.Namespace, stages: list[Stage]) -> None:
    customers, products, rows = SIZES[label]
    out = Path(args.out)
    csv = out / f"b2b_{label}.csv"
    db = f"recbot_scale_{label.lower()}"
    env = {**os.environ, "DATABASE_URL": f"{args.pg}/{db}"}
    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)

    def stage(name: str, cmd: list[str]) -> Stage:
        result = timed(label, name, cmd, env, logs / f"{label}-{name}.log")
        stages.append(result)
        if result.exit_code:
            raise SystemExit(f"{label} {name} failed: see {logs / f'{label}-{name}.log'}")
        return result

    if not (args.reuse and csv.exists()):
        shape = ["--customers", str(customers), "--products", str(products), "--rows", str(rows)]
        stage("generate", [RECBOT, "generate", "--profile", "b2b", *shape, "--out", str(csv)])
    fresh_database(args.pg_admin, db)
    subprocess.run([RECBOT, "db", "upgrade"], env=env, check=True, capture_output=True)
    for kind in ("customers", "products"):
        subprocess.run(
            [RECBOT, "import", kind, str(csv.with_suffix(f".{kind}.csv"))],
            env=env,
            check=True,
            capture_output=True,
        )
    stage("import", [RECBOT, "import", "transactions", str(csv)])
    with psycopg.connect(f"{args.pg_admin.rsplit('/', 1)[0]}/{db}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE transactions")
    train = stage("train", [RECBOT, "train"])
    train.detail = train_timings(logs / f"{label}-train.log")
    if not args.keep_files:
        for path in out.glob(f"b2b_{label}*.csv"):
            path.unlink()


def table(stages: list[Stage]) -> str:
    lines = [
        "| customers × products, transactions | stage | wall | peak RSS | µs per transaction "
        "| load avg (max) | train's own stages |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in stages:
        c, p, n = SIZES[s.size]
        detail = ", ".join(f"{k} {v:.1f} s" for k, v in s.detail.items())
        lines.append(
            f"| {c:,} × {p:,}, {n:,} | {s.stage} | {s.wall_s:.1f} s "
            f"| {s.peak_rss_mb / 1024:.2f} GB | {s.wall_s / n * 1e6:.1f} | {s.load_max:.2f} "
            f"| {detail} |"
        )
    return "\n".join(lines)


def plot(stages: list[Stage], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name in dict.fromkeys(s.stage for s in stages):
        mine = sorted((SIZES[s.size][2], s) for s in stages if s.stage == name)
        x = [n / 1e6 for n, _ in mine]
        ax_t.plot(x, [s.wall_s for _, s in mine], "o-", label=name)
        ax_m.plot(x, [s.peak_rss_mb / 1024 for _, s in mine], "o-", label=name)
    for ax, title in ((ax_t, "wall time (s)"), (ax_m, "peak RSS (GB)")):
        ax.set_xlabel("transactions (millions)")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("recbot at scale: b2b profile on PostgreSQL, one process per stage")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="1M,4M,10M,20M", help=f"comma-separated, of {list(SIZES)}")
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    ap.add_argument("--pg-admin", default="postgresql://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--out", default=str(ROOT / "bench" / "out" / "scale"))
    ap.add_argument("--reuse", action="store_true", help="keep an existing generated file")
    ap.add_argument("--keep-files", action="store_true", help="keep the generated CSV files")
    args = ap.parse_args()
    wanted = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in SIZES]
    if unknown:
        sys.exit(f"unknown sizes {unknown}: choose from {list(SIZES)}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = out / "results.json"
    previous = json.loads(results.read_text()) if results.exists() else []
    stages = [Stage(**s) for s in previous if s["size"] not in wanted]
    print(f"load average at start: {Path('/proc/loadavg').read_text().strip()}", flush=True)
    for label in wanted:
        started = time.time()
        try:
            run_size(label, args, stages)
        finally:
            results.write_text(json.dumps([asdict(s) for s in stages], indent=1))
        print(f"{label}: {time.time() - started:.0f} s end to end", flush=True)
    order = {name: i for i, name in enumerate([*SIZES, *STAGES])}
    stages.sort(key=lambda s: (order[s.size], order[s.stage]))
    results.write_text(json.dumps([asdict(s) for s in stages], indent=1))
    (out / "results.md").write_text(table(stages) + "\n")
    print(table(stages))
    plot(stages, out / "scale.png")
    print(f"wrote {results}, {out / 'results.md'}, {out / 'scale.png'}")


if __name__ == "__main__":
    main()
