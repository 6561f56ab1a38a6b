#!/usr/bin/env bash
# `make bench`: the registers and figures benchmarks (server/benches/registers.rs), the late
# door's sync push (server/benches/sync.rs) and the reports (server/benches/reports.rs) against
# the benchmark trust: 10 schools × 1,200
# pupils with every mark of the current academic year, in a database of its own, rollcall_bench,
# beside the private cluster's others. Built with Cargo's `bench` profile (Cargo.toml: release's
# optimisation without LTO, 16 codegen units), the seeding binary too.
#
# Then the late door in Chromium on a tablet (end2end/bench/late-door.bench.ts): the site built
# as it ships (`cargo leptos build --release`, the server without LTO), a 2,000-pupil roll.
#
#   make bench                        every case, then the browser
#   scripts/bench.sh save             only the server cases whose names contain "save"
#   scripts/bench.sh "sync push"      only the sync push cases
#   scripts/bench.sh breakdown        only the reports' breakdown
#   ROLLCALL_BENCH_BROWSER=0 make bench    the server cases only
#
# The trust is seeded once (about two and a half minutes) and reused by every later run. To make it
# again, for a new academic year or after the seed changed:
#
#   psql "$(scripts/db.sh start | sed 's,/[^/]*$,/postgres,')" -c 'drop database rollcall_bench'
#
# ROLLCALL_BENCH_DATABASE_URL sets another database; its name must contain "bench", because the
# bench undoes every write it finds there that the seed did not make.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*" >&2; }

step "tools"
scripts/ensure-tools.sh

step "database"
BASE_URL="$(scripts/db.sh start)"
BENCH_URL="${ROLLCALL_BENCH_DATABASE_URL:-${BASE_URL%/*}/rollcall_bench}"
BENCH_DB="${BENCH_URL##*/}"
BENCH_DB="${BENCH_DB%%\?*}"
if [ "$(psql "$BASE_URL" -Atc "select count(*) from pg_database where datname = '$BENCH_DB'")" = 0 ]; then
  psql "$BASE_URL" -qc "create database \"$BENCH_DB\""
fi

# The `bench` profile's artefacts go in Cargo's release directory.
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
step "build (bench profile)"
nice -n 10 cargo build --profile bench -p server --bin rollcall
nice -n 10 cargo bench -p server --bench registers --bench sync --bench reports --no-run

# The last school day of the current academic year: the seed ends the summer term on 21 July,
# or the Friday before when that is a weekend (server/src/seed/calendar.rs).
year=$(date +%Y)
[ "$(date +%-m)" -ge 9 ] && year=$((year + 1))
THROUGH="$year-07-21"
case "$(date -d "$THROUGH" +%u)" in
  6) THROUGH=$(date -d "$THROUGH - 1 day" +%F) ;;
  7) THROUGH=$(date -d "$THROUGH - 2 days" +%F) ;;
esac

step "the benchmark trust"
if [ "$(psql "$BENCH_URL" -Atc "select count(*) from pg_tables where tablename = 'trusts'")" = 1 ] &&
   [ "$(psql "$BENCH_URL" -Atc 'select count(*) from trusts')" != 0 ]; then
  echo "reusing the trust already in $BENCH_DB" >&2
else
  echo "seeding $BENCH_DB with marks through $THROUGH (once; later runs reuse it)" >&2
  DATABASE_URL="$BENCH_URL" "$TARGET_DIR/release/rollcall" seed demo \
    --schools 10 --pupils 1200 --through "$THROUGH"
  # Statistics and the visibility map, as autovacuum would leave a database in use.
  psql "$BENCH_URL" -qc 'vacuum analyze'
fi

step "benchmarks"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), \
$(free -g | awk '/^Mem:/ {print $2}') GiB" >&2
DATABASE_URL="$BENCH_URL" cargo bench -p server --bench registers --bench sync --bench reports -- "$@"

if [ "${ROLLCALL_BENCH_BROWSER:-1}" != 0 ] && [ $# = 0 ]; then
  step "the late door in the browser (release build)"
  scripts/ensure-tools.sh --test
  # A release build runs wasm-opt; Debian's binaryen is too old for this rustc.
  command -v wasm-opt >/dev/null 2>&1 || npm install -g binaryen@132
  # The wasm exactly as it ships (LTO, one codegen unit); the server, which only hands out the
  # page and the files here, without LTO, which would take most of an hour on two cores.
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_PROFILE_WASM_RELEASE_LTO=true CARGO_PROFILE_WASM_RELEASE_CODEGEN_UNITS=1 \
    nice -n 10 cargo leptos build --release
  BROWSER_DB="${BASE_URL%/*}/rollcall_bench_browser"
  psql "$BASE_URL" -qc 'drop database if exists rollcall_bench_browser with (force)' \
    -c 'create database rollcall_bench_browser'
  (cd end2end && E2E_DATABASE_URL="$BROWSER_DB" ROLLCALL_BIN="$TARGET_DIR/release/rollcall" \
    npx playwright test --config bench.config.ts)
fi
