#!/bin/bash
# Issue 20: three nodes on this machine behind node a's webhook, release build.
set -u
BIN=${BIN:-target/release/dianabot}
DBN=bench_3n
psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS $DBN" -c "CREATE DATABASE $DBN"
DB=postgres://postgres@127.0.0.1:5432/$DBN
redis-cli --scan --pattern "bench3*" | xargs -r redis-cli del > /dev/null
$BIN bench --server http://127.0.0.1:8080 --metrics http://127.0.0.1:9090 \
    --users 10000 --concurrency 64 --warmup 5 --duration 20 --quiet --json /tmp/three-nodes.json > /tmp/three-nodes.txt 2>&1 &
BENCH=$!
sleep 2
# Node a first, so the schema is migrated once; b and c join it.
for n in "a 8080 9090" "b 8082 9092" "c 8084 9094"; do set -- $n
  env TELEGRAM_BOT_TOKEN=123456:TEST TELEGRAM_API_URL=http://127.0.0.1:8081 TELEGRAM_INTAKE=webhook \
  WEBHOOK_SECRET=bench-secret OUTBOUND_PER_CHAT_MS=0 OUTBOUND_GLOBAL_PER_SEC=0 RATE_LIMITS=off \
  FREE_CHANNEL_ID=-1001000000001 ADMIN_IDS=9999999999 DATABASE_URL=$DB RUST_LOG=warn \
  REDIS_URL=redis://127.0.0.1:6379 CLUSTER_PREFIX=bench3 CLUSTER_NODE_ID=$1 \
  HTTP_BIND=127.0.0.1:$2 METRICS_BIND=127.0.0.1:$3 $BIN serve > /tmp/node-$1.log 2>&1 &
  echo $! > /tmp/node-$1.pid
  sleep 3
done
wait $BENCH; echo "bench exit $?"
for p in 9090 9092 9094; do
  echo "node :$p $(curl -s http://127.0.0.1:$p/metrics | grep -E '^dianabot_intake_updates_total|^dianabot_cluster_forwarded_updates_total|^dianabot_cluster_shards_owned' | tr '\n' ' ')"
done
for n in a b c; do kill -TERM $(cat /tmp/node-$n.pid); done
sleep 5
psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS $DBN"
redis-cli --scan --pattern "bench3*" | xargs -r redis-cli del > /dev/null
