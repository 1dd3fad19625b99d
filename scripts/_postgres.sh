# Sourced by scripts/test: start a throwaway PostgreSQL server for the PostgreSQL half
# of the test suite, when CI=true or TOUCHPOINT_TEST_POSTGRES=1 (and no server is given
# in TOUCHPOINT_TEST_POSTGRES_URL). Installs Debian's postgresql package if needed;
# the cluster runs as the unprivileged `postgres` user in a temporary folder and is
# stopped when the calling script exits.
if [ -n "${TOUCHPOINT_TEST_POSTGRES_URL:-}" ]; then
    return 0
fi
if [ "${CI:-}" != "true" ] && [ "${TOUCHPOINT_TEST_POSTGRES:-}" != "1" ]; then
    return 0
fi
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
    echo "Installing PostgreSQL (Debian package postgresql) ..." >&2
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    else
        sudo apt-get update -qq >/dev/null && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
fi
PG_DIR="$(mktemp -d /tmp/touchpoint-pg.XXXXXX)"
PG_PORT="${TOUCHPOINT_TEST_POSTGRES_PORT:-54329}"
if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$PG_DIR"
    AS_PG=(runuser -u postgres --)
else
    AS_PG=()
fi
"${AS_PG[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U touchpoint --auth=trust -E UTF8 >/dev/null
"${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 60 \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null
_touchpoint_stop_pg() {
    "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
}
trap _touchpoint_stop_pg EXIT
export TOUCHPOINT_TEST_POSTGRES_URL="postgresql+psycopg://touchpoint@127.0.0.1:$PG_PORT/postgres"
export TOUCHPOINT_TEST_POSTGRES_BIN="$PG_BIN"
export TOUCHPOINT_TEST_POSTGRES_DATA="$PG_DIR/data"
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') running for the tests on port $PG_PORT." >&2
