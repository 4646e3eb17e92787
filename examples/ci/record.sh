#!/usr/bin/env bash
# Runs an ACME client command through acmeproxy and records its traffic:
#   record.sh JOURNAL CLIENT [ARGS...]
# The client gets HTTPS_PROXY/HTTP_PROXY and the proxy's CA in the variables
# common clients read. The client's exit status is kept in JOURNAL.status;
# record.sh itself succeeds so that the lint step always runs.
set -euo pipefail
journal=$1; shift
: "${WORK:=${RUNNER_TEMP:-/tmp}/acmeproxy-ci}" "${PROXY_PORT:=8443}"
: "${PEBBLE_DIRECTORY:?run start-pebble.sh first}" "${PEBBLE_CA:?}"

acmeproxy ca init --ca-dir "$WORK/ca" >/dev/null
acmeproxy run --ca-dir "$WORK/ca" --upstream "$PEBBLE_DIRECTORY" --upstream-ca "$PEBBLE_CA" \
  --listen "127.0.0.1:$PROXY_PORT" --journal "$journal" >"$WORK/proxy.log" 2>&1 &
proxy=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PROXY_PORT") 2>/dev/null && break
  sleep 0.1
done

status=0
HTTPS_PROXY="http://127.0.0.1:$PROXY_PORT" HTTP_PROXY="http://127.0.0.1:$PROXY_PORT" NO_PROXY= \
  SSL_CERT_FILE="$WORK/ca/ca.pem" REQUESTS_CA_BUNDLE="$WORK/ca/ca.pem" LEGO_CA_CERTIFICATES="$WORK/ca/ca.pem" \
  "$@" || status=$?
echo "$status" >"$journal.status"

kill -INT "$proxy"
wait "$proxy" || true
cat "$WORK/proxy.log"
echo "record.sh: client exited with $status; journal $journal"
