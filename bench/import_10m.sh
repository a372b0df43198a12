#!/usr/bin/env bash
# Import benchmark: a 10-million-row canonical CSV into PostgreSQL and into SQLite.
# Usage: bash bench/import_10m.sh [ROWS] [RUNS]   (defaults: 10000000 3)
# Each run imports into a freshly migrated database and is timed with /usr/bin/time -v;
# prints wall seconds and peak RSS per run and the median of each.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-10000000}
RUNS=${2:-3}
PG_ADMIN=${PG_ADMIN:-postgresql://postgres@127.0.0.1:5432/postgres}
PG_DB=recbot_bench_import
OUT=bench/out
RECBOT=.venv/bin/recbot
mkdir -p "$OUT"
CSV="$OUT/seed_${ROWS}.csv"
[ -f "$CSV" ] || "$RECBOT" generate --profile seed --rows "$ROWS" --out "$CSV"
echo "file: $CSV ($(du -h "$CSV" | cut -f1), $ROWS rows)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

measure() {  # label, database url
  local label=$1 url=$2 log
  log=$(mktemp)
  DATABASE_URL=$url /usr/bin/time -v "$RECBOT" import transactions "$CSV" >/dev/null 2>"$log"
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$log")
  echo "$label wall_s=$wall peak_rss_mb=$rss"
  rm -f "$log"
}

baseline() {  # the floor: psql's own \copy of the same file into an unindexed text table
  psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB" -c "CREATE DATABASE $PG_DB"
  local url="postgresql://postgres@127.0.0.1:5432/$PG_DB" start end
  psql "$url" -qc "CREATE TABLE raw (customer_id text, product_id text, quantity text, occurred_at text)"
  start=$(date +%s.%N)
  psql "$url" -qc "\\copy raw FROM '$CSV' WITH (FORMAT csv, HEADER true)"
  end=$(date +%s.%N)
  echo "baseline-psql-copy run=$1 wall_s=$(echo "$end - $start" | bc) peak_rss_mb=0"
}

for run in $(seq "$RUNS"); do
  baseline "$run"
  psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB" -c "CREATE DATABASE $PG_DB"
  url="postgresql+psycopg://postgres@127.0.0.1:5432/$PG_DB"
  DATABASE_URL=$url "$RECBOT" db upgrade >/dev/null
  measure "postgresql run=$run" "$url"
  rm -f "$OUT/bench.db" "$OUT"/bench.db-*
  url="sqlite:///$OUT/bench.db"
  DATABASE_URL=$url "$RECBOT" db upgrade >/dev/null
  measure "sqlite run=$run" "$url"
done | tee "$OUT/import_runs.txt"

for db in baseline-psql-copy postgresql sqlite; do
  grep "^$db " "$OUT/import_runs.txt" | sed 's/.*wall_s=\([0-9.]*\) peak_rss_mb=\([0-9]*\)/\1 \2/' |
    sort -n | awk -v db="$db" '{w[NR]=$1; r[NR]=$2} END {m=int((NR+1)/2); printf "%s median wall_s=%s peak_rss_mb=%s (runs=%d)\n", db, w[m], r[m], NR}'
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
median() { grep "^$1 " "$OUT/import_runs.txt" | sed 's/.*wall_s=\([0-9.]*\).*/\1/' | sort -n |
  awk '{w[NR]=$1} END {print w[int((NR+1)/2)]}'; }
floor=$(median baseline-psql-copy)
for db in postgresql sqlite; do
  echo "$db median / psql \\copy median = $(echo "scale=2; $(median "$db") / $floor" | bc)x"
done
