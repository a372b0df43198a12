#!/usr/bin/env bash
# `recbot train` end to end on PostgreSQL, beside the blog's recipe, in one run.
#
#   bench/train_speed.sh seed [runs]   # seed profile, 10 M rows
#   bench/train_speed.sh b2b [runs]    # b2b profile, 1 M rows, 10 k customers, 2 k products
#
# Creates and fills the database recbot_bench_model_<profile> once (generate + import), then
# times `recbot train` `runs` times with /usr/bin/time -v (wall time and peak RSS; report the
# median) and times the blog replica's steps (bench/blog_replica.py), extrapolated to 50 epochs.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-seed}
runs=${2:-3}
pg=${BENCH_PG:-postgresql+psycopg://postgres@127.0.0.1:5432}
db=recbot_bench_model_$profile
export DATABASE_URL=$pg/$db
out=bench/out/speed-$profile
mkdir -p "$out"
psql -h 127.0.0.1 -U postgres -qtAc "select 1 from pg_database where datname='$db'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -qc "create database $db"
.venv/bin/recbot db upgrade >/dev/null
n=$(psql -h 127.0.0.1 -U postgres -qtAc "select count(*) from transactions" "$db")
if [ "$n" = 0 ]; then
  csv=bench/out/$profile-data.csv.gz
  if [ "$profile" = seed ]; then
    .venv/bin/recbot generate --profile seed --rows 10000000 --out "$csv"
  else
    .venv/bin/recbot generate --profile b2b --rows 1000000 --customers 10000 --products 2000 \
      --out "$csv"
    base=${csv%.csv.gz}
    .venv/bin/recbot import customers "$base.customers.csv"
    .venv/bin/recbot import products "$base.products.csv"
  fi
  .venv/bin/recbot import transactions "$csv"
  psql -h 127.0.0.1 -U postgres -qc "vacuum analyze transactions" "$db"
fi
echo "== $profile: $(psql -h 127.0.0.1 -U postgres -qtAc 'select count(*) from transactions' "$db") transactions, $(date -u +%F)"
for i in $(seq "$runs"); do
  /usr/bin/time -v .venv/bin/recbot train >"$out/train-$i.log" 2>"$out/time-$i.log"
  wall=$(grep 'Elapsed (wall clock)' "$out/time-$i.log" | awk '{print $NF}')
  rss=$(grep 'Maximum resident' "$out/time-$i.log" | awk '{print $NF}')
  echo "recbot train run $i: wall $wall, peak RSS $((rss / 1024)) MB; $(grep -E '^  time:' "$out/train-$i.log")"
done
tail -6 "$out/train-$runs.log"
echo "== blog recipe (faithful replica), timed steps extrapolated to 50 epochs:"
/usr/bin/time -v .venv/bin/python bench/blog_replica.py --database-url "$DATABASE_URL" --steps 400 \
  2>"$out/time-blog.log" | tee "$out/blog.json"
echo "blog replica peak RSS $(( $(grep 'Maximum resident' "$out/time-blog.log" | awk '{print $NF}') / 1024 )) MB"
