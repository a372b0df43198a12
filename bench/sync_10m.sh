#!/usr/bin/env bash
# Sync benchmark: order lines from an ERP-like MariaDB database into PostgreSQL with `recbot sync`.
# Usage: bash bench/sync_10m.sh [--rows N] [--new N] [--reader auto|driver|connectorx]
#                               [--chunk-rows N] [--driver pymysql|mysqldb] [--reuse] [--cpu]
#   (defaults: 10000000 lines, 100000 new, reader auto = asyncmy in a reader process; driver =
#   the URL's SQLAlchemy driver, pymysql or mysqlclient's C driver mysqldb, installed separately:
#   pip install mysqlclient; connectorx: pip install connectorx)
#
# 1. `recbot generate --profile b2b --rows N` writes the lines (CSV), loaded into MariaDB
#    (database recbot_bench_erp: order_lines, accounts, items) with LOAD DATA LOCAL INFILE.
#    --reuse keeps an ERP database an earlier run loaded with the same N lines (the lines an
#    earlier step 4 added are deleted first).
# 2. The floor: the MariaDB client's own export of the transactions query (mariadb -B > /dev/null),
#    as it comes (the whole result held in memory) and with --quick (streamed).
# 3. A full `recbot sync` into a fresh PostgreSQL database recbot_bench_sync.
# 4. NEW more lines in MariaDB, then an incremental `recbot sync` onto the N-line store.
# Steps 2-4 run under /usr/bin/time -v: wall seconds, CPU seconds of the process (user + system;
# the servers' work is not in it, nor the reader process's, which outlives the command) and
# peak RSS; the reader process's peak RSS (VmHWM) is sampled beside it. --cpu also prints the CPU
# seconds of every process on the machine by role (MariaDB, PostgreSQL, recbot, its reader),
# sampled by bench/cpu_by_process.py (which costs a little CPU itself). Run it alone on the
# machine.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=10000000
NEW=100000
DRIVER=pymysql
READER=auto
CHUNK_ROWS=200000
REUSE=0
CPU=()
while [ $# -gt 0 ]; do
  case $1 in
    --rows) ROWS=$2; shift 2 ;;
    --new) NEW=$2; shift 2 ;;
    --driver) DRIVER=$2; shift 2 ;;
    --reader) READER=$2; shift 2 ;;
    --chunk-rows) CHUNK_ROWS=$2; shift 2 ;;
    --reuse) REUSE=1; shift ;;
    --cpu) CPU=(.venv/bin/python bench/cpu_by_process.py); shift ;;
    *) echo "usage: bash bench/sync_10m.sh [--rows N] [--new N] [--reader auto|driver|connectorx] [--chunk-rows N] [--driver pymysql|mysqldb] [--reuse] [--cpu]" >&2; exit 2 ;;
  esac
done
case $DRIVER in
  pymysql) MODULE=pymysql ;;
  mysqldb) MODULE=MySQLdb ;;
  *) echo "--driver is pymysql or mysqldb" >&2; exit 2 ;;
esac
.venv/bin/python -c "import $MODULE" 2>/dev/null || {
  echo "the $DRIVER driver is not installed in .venv (mysqldb: .venv/bin/pip install mysqlclient)" >&2
  exit 2
}
MARIA="mariadb -h 127.0.0.1 -u root"
ERP_DB=recbot_bench_erp
PG_ADMIN=${PG_ADMIN:-postgresql://postgres@127.0.0.1:5432/postgres}
PG_DB=recbot_bench_sync
RECBOT=.venv/bin/recbot
OUT=bench/out
mkdir -p "$OUT"
CSV="$OUT/b2b_${ROWS}.csv"
[ -f "$CSV" ] || "$RECBOT" generate --profile b2b --rows "$ROWS" --out "$CSV" >/dev/null
CUSTOMERS="${CSV%.csv}.customers.csv"
PRODUCTS="${CSV%.csv}.products.csv"
echo "lines: $CSV ($(du -h "$CSV" | cut -f1), $ROWS rows)"

QUERY="SELECT ol.line_id, ol.acct_no AS customer_id, a.acct_name AS customer_name,
  ol.sku AS product_id, i.descr AS product_name, ol.qty AS quantity, ol.amount,
  ol.occurred_at, ol.updated_at
FROM order_lines ol JOIN accounts a ON a.acct_no = ol.acct_no JOIN items i ON i.sku = ol.sku"

loaded() {  # the ERP database holds lines 1..ROWS (and maybe lines a step 4 added)
  [ "$($MARIA -N -e "SELECT COUNT(*) FROM order_lines WHERE line_id <= $ROWS" "$ERP_DB" 2>/dev/null)" = "$ROWS" ]
}
if [ "$REUSE" = 1 ] && loaded; then
  echo "reusing MariaDB ($ERP_DB)"
  $MARIA "$ERP_DB" -e "DELETE FROM order_lines WHERE line_id > $ROWS"
else
echo "loading MariaDB ($ERP_DB) …"
$MARIA -e "DROP DATABASE IF EXISTS $ERP_DB; CREATE DATABASE $ERP_DB"
$MARIA --local-infile=1 "$ERP_DB" <<SQL
CREATE TABLE accounts (acct_no VARCHAR(16) PRIMARY KEY, acct_name VARCHAR(128),
  industry VARCHAR(64), sales_region VARCHAR(64));
CREATE TABLE items (sku VARCHAR(16) PRIMARY KEY, descr VARCHAR(128), product_group VARCHAR(64));
CREATE TABLE order_lines (line_id BIGINT AUTO_INCREMENT PRIMARY KEY, acct_no VARCHAR(16),
  sku VARCHAR(16), qty DECIMAL(12,3), amount DECIMAL(14,2), occurred_at DATETIME,
  updated_at DATETIME);
LOAD DATA LOCAL INFILE '$CUSTOMERS' INTO TABLE accounts FIELDS TERMINATED BY ','
  OPTIONALLY ENCLOSED BY '"' IGNORE 1 LINES;
LOAD DATA LOCAL INFILE '$PRODUCTS' INTO TABLE items FIELDS TERMINATED BY ','
  OPTIONALLY ENCLOSED BY '"' IGNORE 1 LINES;
LOAD DATA LOCAL INFILE '$CSV' INTO TABLE order_lines FIELDS TERMINATED BY ','
  OPTIONALLY ENCLOSED BY '"' IGNORE 1 LINES
  (acct_no, sku, qty, occurred_at, @customer_name, @product_name, @amount)
  SET amount = NULLIF(@amount, ''), updated_at = occurred_at;
ALTER TABLE order_lines ADD INDEX ix_order_lines_updated_at (updated_at);
SQL
fi

SOURCES="$OUT/sync_sources.yml"
{
  echo "sources:"
  echo "  erp:"
  echo "    url: mysql+$DRIVER://root@127.0.0.1:3306/$ERP_DB"
  echo "    watermark: updated_at"
  echo "    reader: $READER"
  echo "    chunk_rows: $CHUNK_ROWS"
  echo "    transactions: |"
  echo "$QUERY" | sed 's/^/      /'
} >"$SOURCES"

timed() {  # label, command...: prints wall seconds and peak RSS of the command
  local label=$1 log sampler peak
  shift
  log=$(mktemp)
  peak=$(mktemp)
  # the reader process's peak RSS (kB), sampled while the command runs
  ( m=0; while sleep 0.5; do
      for p in $(pgrep -f mysql_reader.py); do
        v=$(awk '/VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
        [ -n "$v" ] && [ "$v" -gt "$m" ] && m=$v && echo "$m" >"$peak"
      done
    done ) & sampler=$!
  /usr/bin/time -v "${CPU[@]}" "$@" >"$OUT/sync_last_output.txt" 2>"$log" || { kill $sampler; cat "$log" >&2; exit 1; }
  kill $sampler 2>/dev/null || true
  local wall cpu rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$log")
  cpu=$(awk -F': ' '/(User|System) time \(seconds\)/ {s+=$2} END {printf "%.1f", s}' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$log")
  local reader_rss
  reader_rss=$(awk '{printf "%.0f", $1/1024}' "$peak" 2>/dev/null)
  echo "$label wall_s=$wall cpu_s=$cpu peak_rss_mb=$rss reader_peak_rss_mb=${reader_rss:-0} load1=$(cut -d' ' -f1 /proc/loadavg)"
  grep '^cpu_by_process' "$log" || true
  rm -f "$log" "$peak"
}

{
  echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD) rows=$ROWS reader=$READER chunk_rows=$CHUNK_ROWS driver=$DRIVER"
  timed "floor-mariadb-client-export rows=$ROWS" $MARIA -B -e "$QUERY" "$ERP_DB"
  # The same export streamed row by row (--quick) instead of held whole in the client's memory.
  timed "floor-mariadb-client-export-quick rows=$ROWS" $MARIA -B --quick -e "$QUERY" "$ERP_DB"

  psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB" -c "CREATE DATABASE $PG_DB"
  export DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:5432/$PG_DB"
  export SOURCES_FILE="$SOURCES"
  "$RECBOT" db upgrade >/dev/null
  timed "full-sync rows=$ROWS reader=$READER driver=$DRIVER" "$RECBOT" sync --full
  cat "$OUT/sync_last_output.txt"

  # NEW lines entered after the last run: copies of the last lines, dated an hour after the
  # latest change.
  $MARIA "$ERP_DB" -e "SET @latest = (SELECT MAX(updated_at) FROM order_lines);
    INSERT INTO order_lines (acct_no, sku, qty, amount, occurred_at, updated_at)
    SELECT acct_no, sku, qty, amount, @latest + INTERVAL 1 HOUR, @latest + INTERVAL 1 HOUR
    FROM order_lines ORDER BY line_id DESC LIMIT $NEW"
  timed "incremental-sync new=$NEW onto=$ROWS reader=$READER driver=$DRIVER" "$RECBOT" sync
  cat "$OUT/sync_last_output.txt"
} | tee -a "$OUT/sync_runs.txt"
