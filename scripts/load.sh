#!/usr/bin/env bash
# `make load`: the load test of issue 10 (server/benches/load.rs) against the real `rollcall`
# binary on loopback: 40 late-door tablets and 10 home visitors' phones syncing, 20 office users
# browsing, for ROLLCALL_LOAD_SECONDS (180). The demo trust (2 schools × 1,500 pupils) is seeded
# once into a database of its own, rollcall_load, with marks up to eight days ago, so the week's
# sessions the tablets log are free; every run first undoes what the last one wrote.
#
#   make load                                    three minutes
#   ROLLCALL_LOAD_SECONDS=30 scripts/load.sh     a short run
#   ROLLCALL_LOAD_PROFILE=release make load      server and load generator built optimised
#
# The server listens on ROLLCALL_LOAD_ADDR (127.0.0.1:3401). To seed again:
#
#   psql "$(scripts/db.sh start | sed 's,/[^/]*$,/postgres,')" -c 'drop database rollcall_load'
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*" >&2; }

step "database"
BASE_URL="$(scripts/db.sh start)"
LOAD_URL="${BASE_URL%/*}/rollcall_load"
ADDR="${ROLLCALL_LOAD_ADDR:-127.0.0.1:3401}"
PROFILE="${ROLLCALL_LOAD_PROFILE:-dev}"
case "$PROFILE" in dev) DIR=debug ;; *) DIR=release ;; esac
if [ "$(psql "$BASE_URL" -Atc "select count(*) from pg_database where datname = 'rollcall_load'")" = 0 ]; then
  psql "$BASE_URL" -qc 'create database rollcall_load'
fi

step "build ($PROFILE profile)"
nice -n 10 cargo build --profile "$PROFILE" -p server --bin rollcall
nice -n 10 cargo bench --profile "$PROFILE" -p server --bench load --no-run

if [ "$(psql "$LOAD_URL" -Atc "select count(*) from pg_tables where tablename = 'trusts'")" = 1 ] &&
   [ "$(psql "$LOAD_URL" -Atc 'select count(*) from trusts')" != 0 ]; then
  echo "reusing the demo trust in rollcall_load" >&2
else
  step "the demo trust (once)"
  DATABASE_URL="$LOAD_URL" "target/$DIR/rollcall" seed demo \
    --schools 2 --pupils 1500 --through "$(date -d '8 days ago' +%F)"
fi

step "the server on $ADDR"
DATABASE_URL="$LOAD_URL" LEPTOS_SITE_ADDR="$ADDR" LEPTOS_OUTPUT_NAME=rollcall RUST_LOG=warn \
  "target/$DIR/rollcall" serve 2>target/load-server.log &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 60); do
  (exec 3<>"/dev/tcp/${ADDR%:*}/${ADDR##*:}") 2>/dev/null && break
  sleep 0.5
done

step "load (the server's log: target/load-server.log)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), \
load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
DATABASE_URL="$LOAD_URL" ROLLCALL_LOAD_URL="http://$ADDR" \
  cargo bench --profile "$PROFILE" -p server --bench load
