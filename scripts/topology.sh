#!/usr/bin/env bash
# The docker/compose.yaml topology as plain processes on loopback, for machines without Docker
# and for CI:
#   server    vutlan-radius on 127.0.0.1:<free port> (users: docker/config/authorize)
#   device-a  vutlan-device on 127.0.0.2:<free port>, NAS-IP-Address 192.168.1.88, RADIUS from 127.0.0.2
#   device-b  vutlan-device on 127.0.0.3:<free port>, NAS-IP-Address 192.168.1.99, RADIUS from 127.0.0.3
# Usage: scripts/topology.sh up | check | down | status
#   up     build dist/ if missing, write configs, start the three processes, wait until ready
#   check  radclient (docker/radclient-check.sh) + logins through both devices; exit 0 if all pass
#   down   stop the processes and remove the state directory
# State (configs, databases, logs, pids) lives in $TOPOLOGY_DIR (default ${TMPDIR:-/tmp}/vutlan-topology).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state=${TOPOLOGY_DIR:-${TMPDIR:-/tmp}/vutlan-topology}
device_secret=password123     # the secret the devices share with the server (seed example)
admin_secret=testing123       # radclient on 127.0.0.1; differs so a device sending from 127.0.0.1 would fail

die() { echo "topology: $*" >&2; exit 1; }

free_port() { # free_port udp|tcp ADDRESS
  node -e '
    const [kind, addr] = process.argv.slice(1);
    if (kind === "udp") { const s = require("node:dgram").createSocket("udp4"); s.bind(0, addr, () => { console.log(s.address().port); s.close(); }); }
    else { const s = require("node:net").createServer(); s.listen(0, addr, () => { console.log(s.address().port); s.close(); }); }
  ' "$1" "$2"
}

start() { # start NAME COMMAND...
  local name=$1; shift
  "$@" >"$state/$name.log" 2>&1 </dev/null &
  echo $! >"$state/$name.pid"
}

wait_for() { # wait_for WHAT TRIES COMMAND...
  local what=$1 tries=$2; shift 2
  for ((i = 0; i < tries; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  [ -f "$state/$what.log" ] && tail -n 20 "$state/$what.log" >&2
  die "$what did not become ready (logs in $state)"
}

up() {
  [ -e "$state/env" ] && die "already up (state in $state); run '$0 down' first"
  mkdir -p "$state"
  if [ ! -f "$repo/dist/cli/vutlan-radius.js" ] || [ ! -f "$repo/dist/cli/vutlan-device.js" ]; then
    echo "topology: building dist/"
    (cd "$repo" && npx tsc -p tsconfig.build.json) || die "build failed"
  fi
  local radius_port http_a http_b
  radius_port=$(free_port udp 127.0.0.1)
  http_a=$(free_port tcp 127.0.0.2)
  http_b=$(free_port tcp 127.0.0.3)

  cat >"$state/radiusd.yaml" <<YAML
listen:
  - { type: auth, address: 127.0.0.1, port: $radius_port }
dictionary: $repo/dictionaries/dictionary
clients:
  - { name: device-a, address: 127.0.0.2, secret: $device_secret, require_message_authenticator: yes }
  - { name: device-b, address: 127.0.0.3, secret: $device_secret, require_message_authenticator: yes }
  - { name: admin, address: 127.0.0.1, secret: $admin_secret, require_message_authenticator: auto }
users:
  files: [ $repo/docker/config/authorize ]
log:
  level: info
  auth_fail: $state/auth-fail.log
security:
  reject_delay: 0
YAML
  for d in a:2:88:$http_a b:3:99:$http_b; do
    IFS=: read -r name host nas port <<<"$d"
    cat >"$state/device-$name.yaml" <<YAML
http: { address: 127.0.0.$host, port: $port }
database: ./device-$name.sqlite
nas_ip: 192.168.1.$nas
radius:
  enable: true
  addr: 127.0.0.1
  port: $radius_port
  secret: $device_secret
  timeout_ms: 700
  retries: 1
  bind_address: 127.0.0.$host
log: { level: info }
YAML
  done
  cat >"$state/env" <<ENV
radius_port=$radius_port
url_a=http://127.0.0.2:$http_a
url_b=http://127.0.0.3:$http_b
ENV

  start server node "$repo/dist/cli/vutlan-radius.js" serve -c "$state/radiusd.yaml"
  wait_for "server" 75 env HEALTHCHECK_PORT="$radius_port" HEALTHCHECK_SECRET="$admin_secret" HEALTHCHECK_TIMEOUT_MS=500 \
    node "$repo/docker/healthcheck.mjs"
  start device-a node "$repo/dist/cli/vutlan-device.js" serve -c "$state/device-a.yaml"
  start device-b node "$repo/dist/cli/vutlan-device.js" serve -c "$state/device-b.yaml"
  wait_for "device-a" 75 grep -q 'listening on' "$state/device-a.log"
  wait_for "device-b" 75 grep -q 'listening on' "$state/device-b.log"
  echo "topology up (state in $state)"
  echo "  server    udp 127.0.0.1:$radius_port"
  echo "  device-a  http://127.0.0.2:$http_a  nas_ip 192.168.1.88"
  echo "  device-b  http://127.0.0.3:$http_b  nas_ip 192.168.1.99"
}

check() {
  [ -f "$state/env" ] || die "not up (no $state/env)"
  # shellcheck disable=SC1091
  . "$state/env"
  local status=0
  if command -v radclient >/dev/null 2>&1; then
    RADIUS_SERVER="127.0.0.1:$radius_port" RADIUS_SECRET="$admin_secret" REQUESTS="$repo/docker/config/radclient" \
      DICTIONARIES="$repo/dictionaries" RADCLIENT_TRIES=2 RADCLIENT_TIMEOUT=1 sh "$repo/docker/radclient-check.sh" || status=1
  else
    echo "FAIL radclient not installed (apt-get install freeradius-utils)"
    status=1
  fi
  login() { # login LABEL URL USER PASSWORD EXPECTED_FRAGMENT
    local out
    if out=$(node "$repo/dist/cli/vutlan-device.js" login "$2" "$3" "$4" 2>&1) && printf '%s' "$out" | grep -qF "$5"; then
      echo "PASS $1: $5"
    else
      echo "FAIL $1: expected $5, got: $out"
      status=1
    fi
  }
  login "device-a (192.168.1.88) RADIUS username01" "$url_a" username01 guest '"swrite":"all,"'
  login "device-b (192.168.1.99) RADIUS username01" "$url_b" username01 guest '"swrite":"devvirt,elements,log,logics,modules,notify,relays,sdcard,system,view,","cread":"all,","cwrite":"all,","gread":"all,","gwrite":"3001,3002,"'
  login "device-a local guest" "$url_a" guest guest '"id":1,"name":"guest"'
  local refused before seen=no
  before=$(grep -c '"src":"127.0.0.3".*"client":"device-b".*"reason":"wrong_password"' "$state/auth-fail.log" 2>/dev/null || true)
  refused=$(node "$repo/dist/cli/vutlan-device.js" login "$url_b" username01 wrong 2>&1 || true)
  if [ "$refused" = "refused: authorization error" ]; then echo "PASS device-b wrong password: authorization error"; else echo "FAIL device-b wrong password: $refused"; status=1; fi
  # The server must have seen that reject come from device-b's own address (127.0.0.3).
  for ((i = 0; i < 20; i++)); do # the audit file is written asynchronously
    if [ "$(grep -c '"src":"127.0.0.3".*"client":"device-b".*"reason":"wrong_password"' "$state/auth-fail.log" 2>/dev/null || true)" -gt "${before:-0}" ]; then seen=yes; break; fi
    sleep 0.1
  done
  if [ $seen = yes ]; then
    echo "PASS server audit line: wrong_password from 127.0.0.3 (client device-b)"
  else
    echo "FAIL server audit line for device-b's wrong password not found in $state/auth-fail.log"
    status=1
  fi
  if [ $status -eq 0 ]; then echo "topology check: OK"; else echo "topology check: FAILED (logs in $state)"; fi
  return $status
}

down() {
  local name pid
  for name in device-b device-a server; do
    [ -f "$state/$name.pid" ] || continue
    pid=$(cat "$state/$name.pid")
    if kill "$pid" 2>/dev/null; then
      for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$state/$name.pid"
  done
  rm -rf "$state"
  echo "topology down"
}

status() {
  local name pid
  for name in server device-a device-b; do
    if [ -f "$state/$name.pid" ] && pid=$(cat "$state/$name.pid") && kill -0 "$pid" 2>/dev/null; then echo "$name running (pid $pid)"; else echo "$name stopped"; fi
  done
}

case "${1:-}" in
  up) up ;;
  check) check ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|check|down|status" >&2; exit 2 ;;
esac
