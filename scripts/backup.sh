#!/usr/bin/env bash
# Backs up Rollcall's database to one file, in PostgreSQL's custom format (compressed; restorable
# whole or table by table with scripts/restore.sh).
#
#   scripts/backup.sh [FILE]     default FILE: backups/rollcall-<UTC date>-<time>.dump
#
# It backs up DATABASE_URL, or Rollcall's private PostgreSQL when that is not set. The file
# appears only once the dump is complete, so a failed backup never leaves a file that looks whole.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "backup: error: $*" >&2; exit 1; }

command -v pg_dump >/dev/null || die "pg_dump is missing; install Debian's postgresql-client"
URL="${DATABASE_URL:-$(scripts/db.sh start)}"
FILE="${1:-backups/rollcall-$(date -u +%Y%m%d-%H%M%S).dump}"
mkdir -p "$(dirname "$FILE")"
pg_dump --format=custom --no-owner --no-privileges --file="$FILE.partial" "$URL" \
  || { rm -f "$FILE.partial"; die "pg_dump failed; no backup was written"; }
mv "$FILE.partial" "$FILE"
echo "$FILE"
