# shellcheck shell=bash
# A throwaway PostgreSQL for the warehouse tests (lesson 06). SOURCE this file, then:
#
#     source .ci/postgres.sh
#     pg_start                      # installs Debian's postgresql if missing, starts a private server
#     trap pg_stop EXIT             # always stop it, even when the tests fail
#     .venv/bin/pytest tests/test_warehouse.py   # the PostgreSQL leg now runs
#
# pg_start exports PHARMA_KIT_WAREHOUSE_URL_PG=postgresql+psycopg://larkspur:<random>@127.0.0.1:<port>/postgres
# The password is random per start, lives only in the environment, and is never echoed.
# The server listens on 127.0.0.1 only, on a free port, with its data directory in a temp dir that
# pg_stop deletes. When run as root the server runs as the `postgres` system user (initdb refuses root).
# Functions: pg_install_if_missing, pg_start, pg_stop, pg_status. Nothing here is run on `source`.

_pg_log() { printf '[postgres.sh] %s\n' "$*" >&2; }

_pg_bindir() {
    local d
    if [ -n "${PG_BINDIR:-}" ] && [ -x "${PG_BINDIR}/initdb" ]; then printf '%s\n' "$PG_BINDIR"; return 0; fi
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$d" ] && [ -x "$d/initdb" ]; then printf '%s\n' "$d"; return 0; fi
    if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then pg_config --bindir; return 0; fi
    return 1
}

pg_install_if_missing() {
    # Install PostgreSQL server binaries from Debian's packages when none are present.
    if _pg_bindir >/dev/null; then return 0; fi
    _pg_log "PostgreSQL binaries not found; installing Debian's 'postgresql' package"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null \
        || { _pg_log "apt-get install postgresql failed"; return 1; }
    _pg_bindir >/dev/null || { _pg_log "installed, but initdb still not found"; return 1; }
}

_pg_free_port() {
    local py
    py=$(command -v python3 || command -v python) || return 1
    "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

_pg_as_owner() {
    # Run a command as the server's OS user: `postgres` when we are root, ourselves otherwise.
    if [ "$(id -u)" -eq 0 ]; then
        if command -v runuser >/dev/null 2>&1; then runuser -u postgres -- "$@"; else su postgres -s /bin/sh -c "$(printf '%q ' "$@")"; fi
    else
        "$@"
    fi
}

pg_start() {
    # Start a private server and export PHARMA_KIT_WAREHOUSE_URL_PG. Safe to call twice (no-op).
    if [ -n "${_PG_DATA:-}" ] && [ -d "${_PG_DATA}" ]; then _pg_log "already running (port ${_PG_PORT})"; return 0; fi
    pg_install_if_missing || return 1
    local bin port root pw
    bin=$(_pg_bindir) || return 1
    port=$(_pg_free_port) || { _pg_log "no python to pick a free port"; return 1; }
    root=$(mktemp -d "${TMPDIR:-/tmp}/pharma-kit-pg.XXXXXX") || return 1
    pw=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    printf '%s\n' "$pw" > "$root/pwfile"
    chmod 700 "$root"; chmod 600 "$root/pwfile"
    if [ "$(id -u)" -eq 0 ]; then chown -R postgres "$root"; fi
    _pg_as_owner "$bin/initdb" -D "$root/data" -U larkspur --pwfile="$root/pwfile" --auth=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 >"$root/initdb.log" 2>&1 \
        || { _pg_log "initdb failed; see $root/initdb.log"; tail -n 20 "$root/initdb.log" >&2; return 1; }
    rm -f "$root/pwfile"
    _pg_as_owner "$bin/pg_ctl" -D "$root/data" -l "$root/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $root -c fsync=off -c full_page_writes=off" start >/dev/null \
        || { _pg_log "pg_ctl start failed; see $root/server.log"; tail -n 20 "$root/server.log" >&2; rm -rf "$root"; return 1; }
    export _PG_DATA="$root/data" _PG_ROOT="$root" _PG_PORT="$port" _PG_BIN="$bin"
    export PHARMA_KIT_WAREHOUSE_URL_PG="postgresql+psycopg://larkspur:${pw}@127.0.0.1:${port}/postgres"
    _pg_log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:${port} (data in ${root}); PHARMA_KIT_WAREHOUSE_URL_PG exported"
}

pg_status() {
    # Print whether the throwaway server is running.
    if [ -n "${_PG_DATA:-}" ] && [ -d "${_PG_DATA}" ]; then _pg_as_owner "$_PG_BIN/pg_ctl" -D "$_PG_DATA" status; else echo "not running"; return 3; fi
}

pg_stop() {
    # Stop the server and delete its data directory. Safe to call when nothing runs (e.g. from a trap).
    if [ -n "${_PG_DATA:-}" ] && [ -d "${_PG_DATA}" ]; then
        _pg_as_owner "$_PG_BIN/pg_ctl" -D "$_PG_DATA" -m immediate -w stop >/dev/null 2>&1 || true
        rm -rf "${_PG_ROOT:?}"
        _pg_log "stopped and removed the throwaway server"
    fi
    unset _PG_DATA _PG_ROOT _PG_PORT _PG_BIN PHARMA_KIT_WAREHOUSE_URL_PG
    return 0
}
