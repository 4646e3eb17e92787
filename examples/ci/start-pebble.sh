#!/usr/bin/env bash
# Starts Debian's Pebble (a test ACME CA) and pebble-challtestsrv (a DNS
# server answering 127.0.0.1 for every name) for a CI job, plus a static
# web server for HTTP-01 files. Writes PEBBLE_DIRECTORY and PEBBLE_CA to
# $GITHUB_ENV when it is set, and to $WORK/env.
set -euo pipefail
: "${WORK:=${RUNNER_TEMP:-/tmp}/acmeproxy-ci}"
: "${PEBBLE_PORT:=14000}" "${PEBBLE_MGMT_PORT:=15000}" "${DNS_PORT:=8053}" "${CHALL_MGMT_PORT:=8055}" "${HTTP01_PORT:=5002}"
mkdir -p "$WORK/www/.well-known/acme-challenge"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=pebble \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$WORK/pebble.key" -out "$WORK/pebble.pem" 2>/dev/null
cat > "$WORK/pebble.json" <<JSON
{"pebble": {"listenAddress": "127.0.0.1:$PEBBLE_PORT", "managementListenAddress": "127.0.0.1:$PEBBLE_MGMT_PORT",
  "certificate": "$WORK/pebble.pem", "privateKey": "$WORK/pebble.key",
  "httpPort": $HTTP01_PORT, "tlsPort": 5001, "ocspResponderURL": "", "externalAccountBindingRequired": false}}
JSON

pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 "" -dns01 "127.0.0.1:$DNS_PORT" -http01 "" -https01 "" \
  -tlsalpn01 "" -management "127.0.0.1:$CHALL_MGMT_PORT" >"$WORK/challtestsrv.log" 2>&1 &
echo $! >"$WORK/challtestsrv.pid"
PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 pebble -config "$WORK/pebble.json" -dnsserver "127.0.0.1:$DNS_PORT" \
  >"$WORK/pebble.log" 2>&1 &
echo $! >"$WORK/pebble.pid"
python3 -m http.server "$HTTP01_PORT" --bind 127.0.0.1 --directory "$WORK/www" >"$WORK/www.log" 2>&1 &
echo $! >"$WORK/www.pid"

for _ in $(seq 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PEBBLE_PORT") 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$HTTP01_PORT") 2>/dev/null; then
    break
  fi
  sleep 0.1
done
{
  echo "PEBBLE_DIRECTORY=https://127.0.0.1:$PEBBLE_PORT/dir"
  echo "PEBBLE_CA=$WORK/pebble.pem"
  echo "ACME_DIR=$WORK/www/.well-known/acme-challenge"
} | tee -a "$WORK/env" >>"${GITHUB_ENV:-/dev/null}"
