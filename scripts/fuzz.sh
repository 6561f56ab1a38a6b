#!/usr/bin/env bash
# Fuzz the JSON API from its own OpenAPI document with schemathesis (docs/security.md, "Hostile
# input"). Seeds a small demo trust in a database of its own, starts the real server, signs in
# as a few roles, and for each one sends schemathesis's generated requests: valid ones and
# deliberately wrong ones (bad JSON, bad query strings, bad UUIDs). Fails if any answer is a 5xx
# or an answer does not match the document.
#
#   scripts/fuzz.sh                          every operation, up to 40 cases each, for each role
#   FUZZ_EXAMPLES=200 scripts/fuzz.sh        more cases per operation
#   FUZZ_PORT=3501 scripts/fuzz.sh           another port (default 3599)
#
# The run is deterministic (--generation-deterministic): the same document gives the same
# requests. It takes about two minutes; `make test` runs it after building the site. The database (rollcall_fuzz) is
# dropped at the end, and the server stopped, pass or fail. Uses DATABASE_URL's server, or the
# private cluster.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
PORT="${FUZZ_PORT:-3599}"
EXAMPLES="${FUZZ_EXAMPLES:-40}"
BASE="http://127.0.0.1:$PORT"
VENV=target/fuzz-venv

step() { printf '\n==> %s\n' "$*" >&2; }

step "schemathesis $SCHEMATHESIS_VERSION"
if [ "$("$VENV/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# As cargo-leptos builds it: a plain `cargo build` would leave a binary whose pages do not
# hydrate, for whatever runs next (`make test`'s browser tests).
step "build the server"
cargo leptos build

step "database"
BASE_URL="${DATABASE_URL:-$(scripts/db.sh start)}"
FUZZ_URL="${BASE_URL%/*}/rollcall_fuzz"
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true; fi
  psql "$BASE_URL" -qc 'drop database if exists rollcall_fuzz with (force)' >/dev/null || true
}
trap cleanup EXIT
psql "$BASE_URL" -qc 'drop database if exists rollcall_fuzz with (force)' -c 'create database rollcall_fuzz' >/dev/null
# A small trust is enough: the fuzzing is about the shape of requests, not the volume of data.
target/debug/rollcall --database-url "$FUZZ_URL" seed demo --pupils 120 >/dev/null

step "serve on $BASE"
LOG=target/fuzz-server.log
DATABASE_URL="$FUZZ_URL" LEPTOS_SITE_ADDR="127.0.0.1:$PORT" LEPTOS_SITE_ROOT=target/site \
  RUST_LOG=warn target/debug/rollcall >"$LOG" 2>&1 &
server_pid=$!
for _ in $(seq 1 60); do
  curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "$BASE/healthz" >/dev/null

school_id=$(psql "$FUZZ_URL" -Atc "select id from schools where name like 'Oakfield%'")
trust_id=$(psql "$FUZZ_URL" -Atc "select trust_id from schools where id = '$school_id'")
case_id=$(psql "$FUZZ_URL" -Atc "select id from cases where school_id = '$school_id' limit 1")
letter_id=$(psql "$FUZZ_URL" -Atc "select id from letters where school_id = '$school_id' limit 1")

# Signs in and prints the session cookie and the CSRF token, one per line.
sign_in() {
  local headers body
  headers=$(mktemp)
  body=$(curl -fsS -D "$headers" -H 'content-type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"rollcall-demo\"}" "$BASE/api/auth/login")
  grep -i '^set-cookie:' "$headers" | sed 's/^[^:]*: *//; s/;.*//' | tr -d '\r'
  printf '%s\n' "$body" | python3 -c 'import json, sys; print(json.load(sys.stdin)["csrf_token"])'
  rm -f "$headers"
}

# Signed in, the demo school and trust in paths reach real data; signed out, every path
# parameter is generated, including ones that are not UUIDs at all.
SIGNED_IN_CONFIG=target/fuzz-signed-in.toml
# No cache between runs: each run is the same, whatever ran before.
NO_CACHE='[cache]
enabled = false'
{
  echo "$NO_CACHE"
  echo '[parameters]'
  echo "\"path.school_id\" = \"$school_id\""
  echo "\"path.trust_id\" = \"$trust_id\""
  # A real case and letter, when the demo made them, so those operations reach their data.
  if [ -n "$case_id" ]; then echo "\"path.case_id\" = \"$case_id\""; fi
  if [ -n "$letter_id" ]; then echo "\"path.letter_id\" = \"$letter_id\""; fi
} >"$SIGNED_IN_CONFIG"
SIGNED_OUT_CONFIG=target/fuzz-signed-out.toml
echo "$NO_CACHE" >"$SIGNED_OUT_CONFIG"

failed=0
# The trust administrator reaches everything; the officer and the late door are the roles that
# write most; signed out, every operation must refuse cleanly.
for who in trust-admin@riverside.example officer@oakfield.example door@oakfield.example signed-out; do
  step "schemathesis as $who"
  config="$SIGNED_OUT_CONFIG"
  auth=()
  if [ "$who" != signed-out ]; then
    mapfile -t session < <(sign_in "$who")
    auth=(-H "Cookie: ${session[0]}" -H "x-csrf-token: ${session[1]}")
    config="$SIGNED_IN_CONFIG"
  fi
  # Signing out would end the session the rest of the run uses.
  if ! "$VENV/bin/schemathesis" --no-color --config-file "$config" run "$BASE/api/openapi.json" \
    "${auth[@]}" \
    --exclude-path /api/auth/logout --exclude-path /api/auth/logout-everywhere \
    --mode all \
    --phases examples,coverage,fuzzing \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --generation-deterministic \
    --max-examples "$EXAMPLES" \
    --suppress-health-check all \
    --continue-on-failure \
    --request-timeout 30 \
    --report junit --report-junit-path "target/fuzz-report/$who.xml"; then
    failed=1
  fi
done

if [ "$failed" != 0 ]; then
  echo "schemathesis found failures (above); the server's log is in $LOG" >&2
  exit 1
fi
echo "schemathesis: no 5xx and every answer matches the OpenAPI document" >&2
