#!/bin/sh
# Checks the server with radclient the way an admin would: the seed user from NAS 192.168.1.88
# must get SWrite = "all,", from 192.168.1.99 the restricted list. Exit 0 only if both hold.
#   RADIUS_SERVER (server:1812)  RADIUS_SECRET (password123)
#   REQUESTS (/etc/vutlan/requests)  DICTIONARIES (/etc/vutlan/dictionaries)
#   RADCLIENT_TRIES (3)  RADCLIENT_TIMEOUT (2 seconds)
set -u
server=${RADIUS_SERVER:-server:1812}
secret=${RADIUS_SECRET:-password123}
requests=${REQUESTS:-/etc/vutlan/requests}
dict=${DICTIONARIES:-/etc/vutlan/dictionaries}
tries=${RADCLIENT_TRIES:-3}
timeout=${RADCLIENT_TIMEOUT:-2}
status=0

expect() { # expect REQUEST_FILE PATTERN
  out=$(radclient -d "$dict" -x -r "$tries" -t "$timeout" "$server" auth "$secret" < "$requests/$1" 2>&1)
  if printf '%s\n' "$out" | grep -q 'Received Access-Accept' && printf '%s\n' "$out" | grep -qF "$2"; then
    echo "PASS radclient $1: $2"
  else
    echo "FAIL radclient $1: expected Access-Accept with $2"
    printf '%s\n' "$out" | sed 's/^/    /'
    status=1
  fi
}

expect username01-nas88.txt 'SWrite = "all,"'
expect username01-nas99.txt 'SWrite = "devvirt,elements,log,logics,modules,notify,relays,sdcard,system,view,"'
exit $status
