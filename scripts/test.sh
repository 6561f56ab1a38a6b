#!/usr/bin/env bash
# `make test`: every check Rollcall has, in the order that fails fastest. Exits non-zero on any
# failure.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*" >&2; }

step "tools"
scripts/ensure-tools.sh --test

step "format"
cargo fmt --all --check

step "clippy (server side)"
cargo clippy -p app -p server --all-targets -- -D warnings
step "clippy (browser side)"
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

step "database"
DATABASE_URL="$(scripts/db.sh start)"
export DATABASE_URL
# Each database test makes a database of its own; clear away the last run's.
psql "$DATABASE_URL" -Atc "select datname from pg_database where datname like 'rollcall\_test\_%'" |
  while read -r old; do psql "$DATABASE_URL" -qc "drop database if exists \"$old\" with (force)"; done

step "unit and database tests"
cargo test -p app -p server

step "build the site"
cargo leptos build

step "fuzz the JSON API (schemathesis)"
scripts/fuzz.sh

step "end-to-end tests in Chromium"
# A fresh database for the browser tests, beside the developer's own data.
E2E_DATABASE_URL="${DATABASE_URL%/*}/rollcall_e2e"
psql "$DATABASE_URL" -qc 'drop database if exists rollcall_e2e with (force)' -c 'create database rollcall_e2e' >/dev/null
export E2E_DATABASE_URL
(cd end2end && npx playwright test)
