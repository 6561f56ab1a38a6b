#!/usr/bin/env bash
# Restores a backup made by scripts/backup.sh into a NEW database on the same server, and prints
# its DATABASE_URL. It never writes over a database that exists: point Rollcall at the restored
# one (DATABASE_URL=... make run) once you have checked it.
#
#   scripts/restore.sh FILE NEW_DATABASE_NAME
#
# The server is DATABASE_URL's, or Rollcall's private PostgreSQL when that is not set. The restore
# is one transaction: if any part fails, the new database is dropped and nothing is left half made.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "restore: error: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: scripts/restore.sh FILE NEW_DATABASE_NAME"
FILE="$1"
NAME="$2"
[ -f "$FILE" ] || die "$FILE is not a file; give the path of a backup made by scripts/backup.sh"
[[ "$NAME" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] \
  || die "\"$NAME\" is not a usable database name: use lower-case letters, digits and _"
command -v pg_restore >/dev/null || die "pg_restore is missing; install Debian's postgresql-client"
URL="${DATABASE_URL:-$(scripts/db.sh start)}"
NEW_URL="${URL%/*}/$NAME"
if [ -n "$(psql "$URL" -Atc "select 1 from pg_database where datname = '$NAME'")" ]; then
  die "a database called $NAME exists; restore into a new name so nothing is overwritten"
fi
psql "$URL" -qc "create database \"$NAME\""
if ! pg_restore --no-owner --no-privileges --exit-on-error --single-transaction \
    --dbname="$NEW_URL" "$FILE"; then
  psql "$URL" -qc "drop database if exists \"$NAME\" with (force)"
  die "the backup could not be restored; the new database was removed"
fi
echo "$NEW_URL"
