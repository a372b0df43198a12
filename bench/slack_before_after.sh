#!/usr/bin/env bash
# /recommend load through the real HTTP server for two commits of recbot, alternating in one
# command, so both see the same machine: `bench/slack_before_after.sh BEFORE AFTER [ROUNDS]`.
# Each side runs from its own git worktree (its own bench/slack_load.py, its own server code via
# PYTHONPATH, its own PostgreSQL database filled by its own schema) with this checkout's .venv.
# Prints one JSON summary line per run (max throughput, then paced 200 requests/s).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
py="$repo/.venv/bin/python"
before=${1:?usage: $0 BEFORE_REF AFTER_REF [ROUNDS]}
after=${2:?usage: $0 BEFORE_REF AFTER_REF [ROUNDS]}
rounds=${3:-3}
pg="postgresql+psycopg://postgres@127.0.0.1:5432"

declare -A tree
for side in before after; do
  ref=${!side}
  tree[$side]=$(mktemp -d "/tmp/recbot-bench-$side.XXXX")
  git -C "$repo" worktree add --detach --force "${tree[$side]}" "$ref" >/dev/null
done
cleanup() {
  for side in before after; do git -C "$repo" worktree remove --force "${tree[$side]}" || true; done
}
trap cleanup EXIT

run() {  # side mode-args...
  local side=$1; shift
  (cd "${tree[$side]}" && PYTHONPATH="${tree[$side]}" "$py" bench/slack_load.py \
      --database-url "$pg/recbot_bench_slack_$side" "$@" | tail -n 1 | sed "s/^/$side $(git -C "${tree[$side]}" rev-parse --short HEAD) /")
}

echo "load before: $(cut -d' ' -f1 /proc/loadavg)"
for round in $(seq "$rounds"); do
  for side in before after; do run "$side" --rate 0 --duration 10 --runs 1; done
  for side in before after; do run "$side" --rate 200 --duration 15 --runs 1; done
done
echo "load after: $(cut -d' ' -f1 /proc/loadavg)"
