#!/usr/bin/env bash
# p99 latency while the configuration is reloaded (SIGHUP) every second, against steady state.
# usage: bench/reload-latency.sh [out-dir]   (env: USERS="1000 100000", DUR=10, WORKERS="1 auto")
set -u
cd "$(dirname "$0")/.."
CLI="node dist/cli/vutlan-radius.js"
DUR=${DUR:-10}
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
for N in ${USERS:-1000 100000}; do
  $CLI bench generate --count "$N" --authorize "$D/authorize" > /dev/null
  for W in ${WORKERS:-1 auto}; do
    PORT=$((20000 + RANDOM % 40000))
    cat > "$D/radiusd.yaml" <<YAML
listen: [{ type: auth, address: 127.0.0.1, port: $PORT }]
clients: [{ name: bench, address: 127.0.0.0/8, secret: testing123 }]
users: { files: [ ./authorize ] }
log: { level: info, pretty: false }
security: { reject_delay: 0 }
workers: $W
YAML
    $CLI serve -c "$D/radiusd.yaml" > "$D/serve.log" 2>&1 &
    PID=$!
    for _ in $(seq 1 600); do grep -q '"vutlan-radius ready' "$D/serve.log" && break; sleep 0.1; done
    sleep 1
    steady=$($CLI bench --server 127.0.0.1:$PORT --users "$N" --duration "$DUR")
    ( while kill -HUP $PID 2>/dev/null; do sleep 1; done ) &
    LOOP=$!
    reload=$($CLI bench --server 127.0.0.1:$PORT --users "$N" --duration "$DUR")
    kill $LOOP 2>/dev/null; wait $LOOP 2>/dev/null
    reloads=$(grep -c '"configuration reloaded"' "$D/serve.log")
    kill -TERM $PID; wait $PID 2>/dev/null
    echo "users $N workers $W"
    echo "  steady:          $steady"
    echo "  SIGHUP every 1s: $reload"
    echo "  reloads done: $reloads"
  done
done
