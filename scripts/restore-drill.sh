#!/usr/bin/env bash
# Restore drill: back up the database named by DATABASE_URL, restore it into a new scratch database, compare
# row counts and checksums table by table, verify the audit hash chain on the copy, print the result and
# drop the copy. Exit status 0 only when every table is equal.
#
#   DATABASE_URL=postgres://runxin_app@db/runxin MIGRATE_DATABASE_URL=postgres://runxin_owner@db/runxin \
#     scripts/restore-drill.sh [--backup DIR] [--workdir DIR] [--admin-url URL] [--keep]
#
# The scratch database is created by the owner role (MIGRATE_DATABASE_URL; it needs CREATEDB) or --admin-url.
# pg_dump/pg_restore must match the server's major version (15). See docs/operations.md.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNXIN="${RUNXIN:-.venv/bin/runxin}"
server_major=$("$RUNXIN" shell --no-imports -c "from django.db import connection; c = connection.cursor(); c.execute('SHOW server_version_num'); print(int(c.fetchone()[0]) // 10000)")
client_major=$(pg_dump --version | sed -E 's/.* ([0-9]+)\..*/\1/')
if [ "$server_major" != "$client_major" ]; then
  echo "pg_dump is version $client_major but the server is $server_major: install postgresql-client-$server_major" >&2
  exit 2
fi
exec "$RUNXIN" restore-drill "$@"
