#!/usr/bin/env bash
# Rollcall's private PostgreSQL: a cluster of its own under target/pgdata, on a port of its own.
#
#   scripts/db.sh start    start it (creating it first if needed) and print the DATABASE_URL
#   scripts/db.sh stop     stop it; the data stays for next time
#   scripts/db.sh status   say whether it runs
#
# When DATABASE_URL is already set, that database is used instead: `start` only checks that it
# answers and prints it back.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${ROLLCALL_PG_PORT:-54329}"
DATA="$PWD/target/pgdata"
LOG="$PWD/target/pgdata.log"
DB_NAME="${ROLLCALL_DB_NAME:-rollcall}"
BIN="${ROLLCALL_PG_BIN:-}"

say() { echo "db: $*" >&2; }
die() { echo "db: error: $*" >&2; exit 1; }

find_bin() {
  [ -n "$BIN" ] && return
  for v in 17 16 15 14 13; do
    if [ -x "/usr/lib/postgresql/$v/bin/pg_ctl" ]; then BIN="/usr/lib/postgresql/$v/bin"; return; fi
  done
  if command -v pg_ctl >/dev/null 2>&1; then BIN="$(dirname "$(command -v pg_ctl)")"; return; fi
  say "PostgreSQL's server programs are missing; installing Debian's postgresql package"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2 \
      || die "could not install PostgreSQL with apt-get; install it yourself, or set DATABASE_URL to a database you have"
    for v in 17 16 15 14 13; do
      if [ -x "/usr/lib/postgresql/$v/bin/pg_ctl" ]; then BIN="/usr/lib/postgresql/$v/bin"; return; fi
    done
  fi
  die "no PostgreSQL server programs (pg_ctl) found; install postgresql, or set DATABASE_URL"
}

# PostgreSQL refuses to run as root, so root runs the cluster as the postgres user.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

running() { [ -f "$DATA/postmaster.pid" ] && as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

url() { echo "postgres://rollcall@127.0.0.1:$PORT/$DB_NAME"; }

check_external() {
  command -v psql >/dev/null 2>&1 || { echo "$DATABASE_URL"; return; }
  if ! psql "$DATABASE_URL" -Atqc 'select 1' >/dev/null 2>"$PWD/target/db-check.err"; then
    die "DATABASE_URL is set but that database does not answer: $(head -1 "$PWD/target/db-check.err")
    Fix DATABASE_URL (postgres://user:password@host:port/database) or unset it to use Rollcall's own database."
  fi
  echo "$DATABASE_URL"
}

start() {
  mkdir -p target
  if [ -n "${DATABASE_URL:-}" ]; then check_external; return; fi
  find_bin
  if [ ! -f "$DATA/PG_VERSION" ]; then
    say "creating a private PostgreSQL cluster in target/pgdata"
    rm -rf "$DATA"; mkdir -p "$DATA"
    [ "$(id -u)" = 0 ] && chown postgres "$DATA"
    as_owner "$BIN/initdb" -D "$DATA" -U rollcall --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null \
      || die "initdb failed in $DATA"
  fi
  if ! running; then
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
      die "port $PORT is already used by another program; set ROLLCALL_PG_PORT to a free port"
    fi
    touch "$LOG"; [ "$(id -u)" = 0 ] && chown postgres "$LOG"
    mkdir -p "$DATA/run"; [ "$(id -u)" = 0 ] && chown postgres "$DATA/run"
    as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
      -o "-p $PORT -c listen_addresses=127.0.0.1 -k $DATA/run -c fsync=${ROLLCALL_PG_FSYNC:-on} -c max_connections=200 -c shared_buffers=${ROLLCALL_PG_SHARED_BUFFERS:-512MB}" start >/dev/null \
      || die "PostgreSQL did not start; see target/pgdata.log"
    say "PostgreSQL is running on 127.0.0.1:$PORT (data in target/pgdata)"
  fi
  if ! as_owner "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U rollcall -d postgres -Atqc \
      "select 1 from pg_database where datname = '$DB_NAME'" | grep -q 1; then
    as_owner "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U rollcall "$DB_NAME"
  fi
  url
}

stop() {
  find_bin
  if running; then as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null; say "stopped"; else say "not running"; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) find_bin; if running; then say "running on port $PORT"; else say "not running"; fi ;;
  url) url ;;
  *) die "usage: scripts/db.sh start|stop|status|url" ;;
esac
