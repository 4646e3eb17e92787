#!/usr/bin/env bash
# Stops what start-pebble.sh started.
: "${WORK:=${RUNNER_TEMP:-/tmp}/acmeproxy-ci}"
for p in www pebble challtestsrv; do
  [ -f "$WORK/$p.pid" ] && kill "$(cat "$WORK/$p.pid")" 2>/dev/null
  rm -f "$WORK/$p.pid"
done
exit 0
