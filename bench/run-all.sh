#!/usr/bin/env bash
# Runs every benchmark in BENCHMARKS.md and writes the raw output under $OUT (default
# tmp/bench/results, git-ignored). Needs: npm run build, FreeRADIUS 3.2 (apt-get install
# freeradius), cc + libssl-dev for radload. Takes about 15-20 minutes.
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-tmp/bench/results}
DUR=${DUR:-5}
ROUNDS=${ROUNDS:-3}
mkdir -p "$OUT"
CLI="node dist/cli/vutlan-radius.js"
RADLOAD=${RADLOAD:-tmp/bench/radload}
[ -x "$RADLOAD" ] || cc -O2 -o "$RADLOAD" bench/radload.c -lcrypto

machine() {
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
  echo "node: $(node --version)"
  echo "freeradius: $(freeradius -v 2>/dev/null | head -1)"
  echo "date: $(date -u +%FT%TZ)"
}
machine > "$OUT/machine.txt"

run() { # name, args...
  local name=$1; shift
  echo "== $name: bench $*" | tee "$OUT/$name.txt"
  $CLI bench "$@" 2>&1 | tee -a "$OUT/$name.txt"
}

C="--compare freeradius --duration $DUR --rounds $ROUNDS"
run files-1k-both        $C --users 1000 --workers auto --generator both --radload "$RADLOAD"
run files-1k-1worker     $C --users 1000 --workers 1
run files-1k-0attrs      $C --users 1000 --workers auto --reply-attributes 0
run files-1k-8attrs      $C --users 1000 --workers auto --reply-attributes 8
run files-100k           $C --users 100000 --workers auto --generator both --radload "$RADLOAD"
run files-1m             $C --users 1000000 --workers auto --generator both --radload "$RADLOAD"
run sqlite-1m            $C --users 1000000 --workers auto --source sqlite
run sqlite-100k-stock    $C --users 100000 --workers auto --source sqlite --rounds 2 --freeradius-postauth-sql
node bench/load-time.mjs 1000 100000 1000000 2>&1 | tee "$OUT/load-time.txt"
bash bench/reload-latency.sh "$OUT" 2>&1 | tee "$OUT/reload-latency.txt"
