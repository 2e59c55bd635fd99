#!/bin/bash
# Issue 20, done-means 4: one node in cluster mode vs the embedded single node,
# same release binary, same mix, a fresh Postgres database per run, pairs alternated.
set -u
BIN=${BIN:-target/release/dianabot}
PAIRS=${PAIRS:-3}
for n in $(seq 1 $PAIRS); do
  for side in embedded cluster; do
    db=bench20_${side}_$n
    psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    load=$(cut -d' ' -f1 /proc/loadavg)
    if [ $side = cluster ]; then
      env REDIS_URL=redis://127.0.0.1:6379 CLUSTER_PREFIX=bench20-$n CLUSTER_NODE_ID=solo \
        $BIN bench --database-url postgres://postgres@127.0.0.1:5432/$db --users 10000 --concurrency 64 \
        --warmup 5 --duration 20 --quiet --json ${OUT:-/tmp}/b20-$side-$n.json > ${OUT:-/tmp}/b20-$side-$n.txt 2>&1
      redis-cli --scan --pattern "bench20-$n*" | xargs -r redis-cli del > /dev/null
    else
      $BIN bench --database-url postgres://postgres@127.0.0.1:5432/$db --users 10000 --concurrency 64 \
        --warmup 5 --duration 20 --quiet --json ${OUT:-/tmp}/b20-$side-$n.json > ${OUT:-/tmp}/b20-$side-$n.txt 2>&1
    fi
    echo "$n $side load_before=$load load_after=$(cut -d' ' -f1 /proc/loadavg) exit=$?"
    psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS $db"
  done
done
