# Sourced by bench/ab/s1-put and bench/ab/s1-profile (run from the repository): a seeded
# SQLite database under $WORK, the server started on core 0, wrk on core 1, core 0's time.
# Needs EX (the bench examples); reads CONTACTS (100000) and MODE (put).
CONTACTS=${CONTACTS:-100000}; MODE=${MODE:-put}
WORK=$(mktemp -d); PORT=$((20000 + RANDOM % 20000)); URL=http://127.0.0.1:$PORT
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill $SERVER_PID 2>/dev/null; rm -rf $WORK; }
trap cleanup EXIT
mkdir -p $WORK/main
$EX/bench-seed --db $WORK/main.db --out $WORK/main --contacts $CONTACTS --small 1000 >/dev/null 2>&1
KEY=$(cat $WORK/main/key); WS=$(cat $WORK/main/workspace_a); IDS=$WORK/main/ids_a.tsv

start_server() { # binary db: serves db on core 0 (PURRLIST_SQLITE_SYNCHRONOUS=$SYNC, default full)
  local since=$(date +%s%N)
  PURRLIST_SQLITE_SYNCHRONOUS=${SYNC:-full} taskset -c 0 $1 serve --listen 127.0.0.1:$PORT \
    --database sqlite://$2 >$WORK/server.out 2>$WORK/server.log & SERVER_PID=$!
  taskset -c 1 $EX/bench-loadgen ready --url $URL --since-ns $since --path /readyz >/dev/null
}
stop_server() { kill -TERM $SERVER_PID; wait $SERVER_PID 2>/dev/null || true; SERVER_PID=""; }
wrk_put() { # seconds: bench.lua's MODE with 64 connections; prints its WRKJSON summary
  BENCH_MODE=$MODE BENCH_KEY=$KEY BENCH_WORKSPACE=$WS BENCH_IDS=$IDS taskset -c 1 \
    wrk -t1 -c64 -d${1}s --timeout 10s -s bench/lua/bench.lua $URL | sed -n 's/^WRKJSON //p'; }
cpu0() { awk '/^cpu0 / {print $2+$3+$4+$7+$8, $5+$6}' /proc/stat; }   # busy idle(+iowait)
busy_percent() { python3 -c "print(round(100*($3-$1)/max(1,($3-$1)+($4-$2))))"; }   # b0 i0 b1 i1
writes_per_commit() { grep -o 'writes_per_commit=[0-9.]*' $WORK/server.log | tail -1 | cut -d= -f2 | cut -c1-5; }
