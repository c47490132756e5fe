#!/usr/bin/env bash
# Run a command beside a throwaway PostgreSQL server (Debian's package, installed if missing),
# with QA_TEST_POSTGRES_URL pointing at it; the server and its data are removed afterwards.
set -euo pipefail
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PORT=${QA_TEST_POSTGRES_PORT:-54329}
PGDATA=$(mktemp -d /tmp/qa-postgres.XXXXXX)
as_pg() {
    if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}
[ "$(id -u)" = 0 ] && chown postgres "$PGDATA"
as_pg "$PGBIN/initdb -D $PGDATA -A trust -U postgres" >/dev/null
as_pg "$PGBIN/pg_ctl -D $PGDATA -l $PGDATA/server.log -w -o \"-p $PORT -k $PGDATA -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200\" start" >/dev/null
cleanup() {
    as_pg "$PGBIN/pg_ctl -D $PGDATA -m fast -w stop" >/dev/null 2>&1 || true
    rm -rf "$PGDATA"
}
trap cleanup EXIT
export QA_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
"$@"
