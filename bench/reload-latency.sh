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
    # SIGHUP with nothing changed: the users file is kept (only config and clients are read again)
    ( while kill -HUP $PID 2>/dev/null; do sleep 1; done ) &
    LOOP=$!
    unchanged=$($CLI bench --server 127.0.0.1:$PORT --users "$N" --duration "$DUR")
    kill $LOOP 2>/dev/null; wait $LOOP 2>/dev/null
    before=$(grep -c '"configuration reloaded"' "$D/serve.log")
    # the users file rewritten (touched) and SIGHUP every second: parsed again each time
    ( while kill -0 $PID 2>/dev/null; do touch "$D/authorize"; kill -HUP $PID 2>/dev/null; sleep 1; done ) &
    LOOP=$!
    changed=$($CLI bench --server 127.0.0.1:$PORT --users "$N" --duration "$DUR")
    kill $LOOP 2>/dev/null; wait $LOOP 2>/dev/null
    after=$(grep -c '"configuration reloaded"' "$D/serve.log")
    parsed=$(grep '"configuration reloaded"' "$D/serve.log" | tail -n +$((before + 1)) | grep -c '"users_files_unchanged":0')
    kill -TERM $PID; wait $PID 2>/dev/null
    echo "users $N workers $W"
    echo "  steady:                              $steady"
    echo "  SIGHUP every 1s, files unchanged:    $unchanged"
    echo "  file changed + SIGHUP every 1s:      $changed"
    echo "  reloads done: $before unchanged, $((after - before)) after a change ($parsed parsed the users file)"
  done
done
