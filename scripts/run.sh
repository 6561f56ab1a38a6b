#!/usr/bin/env bash
# `make run`: install what is missing, start the database, build, and serve Rollcall.
set -euo pipefail
cd "$(dirname "$0")/.."

export LEPTOS_SITE_ADDR="${LEPTOS_SITE_ADDR:-127.0.0.1:3000}"
URL="http://$LEPTOS_SITE_ADDR"

# A second `make run` says what is going on instead of failing to bind.
if curl -fsS --max-time 2 "$URL/healthz" 2>/dev/null | grep -q '"database"'; then
  echo "Rollcall is already running at $URL. Open it in a browser, or stop the other one with Ctrl-C." >&2
  exit 1
fi
if (exec 3<>"/dev/tcp/${LEPTOS_SITE_ADDR%:*}/${LEPTOS_SITE_ADDR##*:}") 2>/dev/null; then
  echo "Another program is listening on $LEPTOS_SITE_ADDR. Stop it, or run Rollcall elsewhere: LEPTOS_SITE_ADDR=127.0.0.1:3005 make run" >&2
  exit 1
fi

scripts/ensure-tools.sh

# Stop the private database on the way out only if this run started it.
started_db=no
if [ -z "${DATABASE_URL:-}" ] && ! scripts/db.sh status 2>&1 | grep -q running; then started_db=yes; fi
DATABASE_URL="$(scripts/db.sh start)"
export DATABASE_URL
if [ "$started_db" = yes ]; then trap 'scripts/db.sh stop' EXIT; fi

cargo leptos build

# A demo trust the first time, so there is something to see; never over real data.
target/debug/rollcall seed demo --if-empty

cat <<BANNER

  Rollcall is starting at $URL

  Sign in with any demo account (password: rollcall-demo), for example
    officer@oakfield.example    attendance officer: the office's day
    door@oakfield.example       late door (use a tablet)
    visits@oakfield.example     home visitor (use a phone)
    admin@oakfield.example      school administrator
  The README lists them all.

  Stop it with Ctrl-C; the data stays in target/pgdata for the next run.

BANNER
target/debug/rollcall serve
