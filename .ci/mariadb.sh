# shellcheck shell=bash
# A throwaway MariaDB for the warehouse's MySQL/MariaDB leg (lesson 06). SOURCE this file, then:
#
#     source .ci/mariadb.sh
#     my_start                      # installs Debian's mariadb-server if missing, starts a private server
#     trap my_stop EXIT             # always stop it, even when the tests fail
#     .venv/bin/pytest tests/test_warehouse_mariadb.py   # the MariaDB leg now runs
#
# my_start exports PHARMA_KIT_WAREHOUSE_URL_MYSQL=mysql+pymysql://larkspur:<random>@127.0.0.1:<port>/larkspur
# The password is random per start, lives only in the environment, and is never echoed.
# The server listens on 127.0.0.1 only, on a free port, with its data directory, socket and logs in a temp dir
# that my_stop deletes; it reads no my.cnf (--no-defaults), so the machine's own MariaDB (if any) is untouched.
# When run as root the server runs as the `mysql` system user (mariadbd refuses to run as root).
# Functions: my_install_if_missing, my_start, my_stop, my_status. Nothing here is run on `source`.

_my_log() { printf '[mariadb.sh] %s\n' "$*" >&2; }

_my_server() {
    # Print the path of the server binary (mariadbd, or mysqld on older packages).
    local c
    for c in "${MY_SERVER:-}" /usr/sbin/mariadbd /usr/sbin/mysqld "$(command -v mariadbd 2>/dev/null)"; do
        if [ -n "$c" ] && [ -x "$c" ]; then printf '%s\n' "$c"; return 0; fi
    done
    return 1
}

_my_tool() {
    # Print the path of a client tool: `_my_tool install-db|admin|client`.
    local c
    case "$1" in
        install-db) set -- mariadb-install-db mysql_install_db ;;
        admin) set -- mariadb-admin mysqladmin ;;
        client) set -- mariadb mysql ;;
    esac
    for c in "$@"; do
        if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
    done
    return 1
}

_my_present() { _my_server >/dev/null && _my_tool install-db >/dev/null && _my_tool client >/dev/null; }

my_install_if_missing() {
    # Install MariaDB (Debian's 'mariadb-server', MySQL-compatible) when it is not present.
    if _my_present; then return 0; fi
    _my_log "MariaDB binaries not found; installing Debian's 'mariadb-server' package"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq mariadb-server >/dev/null \
        || { _my_log "apt-get install mariadb-server failed"; return 1; }
    _my_present || { _my_log "installed, but mariadbd / mariadb-install-db still not found"; return 1; }
}

_my_free_port() {
    local py
    py=$(command -v python3 || command -v python) || return 1
    "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

my_start() {
    # Start a private server and export PHARMA_KIT_WAREHOUSE_URL_MYSQL. Safe to call twice (no-op).
    if [ -n "${_MY_ROOT:-}" ] && [ -d "${_MY_ROOT}" ]; then _my_log "already running (port ${_MY_PORT})"; return 0; fi
    my_install_if_missing || return 1
    local server installdb client admin port root pw owner i
    server=$(_my_server) || return 1
    installdb=$(_my_tool install-db) || return 1
    client=$(_my_tool client) || return 1
    admin=$(_my_tool admin) || return 1
    port=$(_my_free_port) || { _my_log "no python to pick a free port"; return 1; }
    root=$(mktemp -d "${TMPDIR:-/tmp}/pharma-kit-mariadb.XXXXXX") || return 1
    pw=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    owner=$(id -un)
    if [ "$(id -u)" -eq 0 ]; then
        owner=mysql
        chown -R mysql "$root"
    fi
    chmod 700 "$root"
    "$installdb" --no-defaults --datadir="$root/data" --user="$owner" --auth-root-authentication-method=socket \
        --skip-test-db >"$root/install.log" 2>&1 \
        || { _my_log "mariadb-install-db failed; see $root/install.log"; tail -n 20 "$root/install.log" >&2; rm -rf "$root"; return 1; }
    # fsync off, small buffers: a throwaway server for tests, never for data anyone keeps.
    "$server" --no-defaults --user="$owner" --datadir="$root/data" --socket="$root/mysqld.sock" \
        --pid-file="$root/mysqld.pid" --log-error="$root/server.log" --bind-address=127.0.0.1 --port="$port" \
        --skip-name-resolve --innodb-buffer-pool-size=64M --innodb-log-file-size=48M \
        --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --sync-binlog=0 \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_bin >/dev/null 2>&1 &
    export _MY_PID=$! _MY_ROOT="$root" _MY_PORT="$port" _MY_ADMIN="$admin"
    for i in $(seq 1 60); do
        if "$admin" --no-defaults --socket="$root/mysqld.sock" -uroot ping >/dev/null 2>&1; then break; fi
        if ! kill -0 "$_MY_PID" 2>/dev/null; then
            _my_log "mariadbd exited during start; see $root/server.log"; tail -n 20 "$root/server.log" >&2
            rm -rf "$root"; unset _MY_PID _MY_ROOT _MY_PORT _MY_ADMIN; return 1
        fi
        sleep 0.5
    done
    if ! "$admin" --no-defaults --socket="$root/mysqld.sock" -uroot ping >/dev/null 2>&1; then
        _my_log "mariadbd did not answer within 30 s; see $root/server.log"; my_stop; return 1
    fi
    # One database and one password user for the tests, reachable over TCP on 127.0.0.1 only.
    "$client" --no-defaults --socket="$root/mysqld.sock" -uroot >"$root/setup.log" 2>&1 <<SQL \
        || { _my_log "creating the test user failed; see $root/setup.log"; my_stop; return 1; }
CREATE DATABASE larkspur CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER 'larkspur'@'127.0.0.1' IDENTIFIED BY '${pw}';
GRANT ALL PRIVILEGES ON larkspur.* TO 'larkspur'@'127.0.0.1';
FLUSH PRIVILEGES;
SQL
    export PHARMA_KIT_WAREHOUSE_URL_MYSQL="mysql+pymysql://larkspur:${pw}@127.0.0.1:${port}/larkspur?charset=utf8mb4"
    _my_log "MariaDB $("$server" --version | awk '{print $3}') on 127.0.0.1:${port} (data in ${root}); PHARMA_KIT_WAREHOUSE_URL_MYSQL exported"
}

my_status() {
    # Print whether the throwaway server is running.
    if [ -n "${_MY_ROOT:-}" ] && [ -d "${_MY_ROOT}" ]; then
        "$_MY_ADMIN" --no-defaults --socket="$_MY_ROOT/mysqld.sock" -uroot status
    else
        echo "not running"; return 3
    fi
}

my_stop() {
    # Stop the server and delete its data directory. Safe to call when nothing runs (e.g. from a trap).
    local i
    if [ -n "${_MY_ROOT:-}" ] && [ -d "${_MY_ROOT}" ]; then
        "$_MY_ADMIN" --no-defaults --socket="$_MY_ROOT/mysqld.sock" -uroot shutdown >/dev/null 2>&1 || true
        for i in $(seq 1 40); do
            kill -0 "${_MY_PID:-0}" 2>/dev/null || break
            sleep 0.25
        done
        if kill -0 "${_MY_PID:-0}" 2>/dev/null; then kill -9 "$_MY_PID" 2>/dev/null || true; fi
        rm -rf "${_MY_ROOT:?}"
        _my_log "stopped and removed the throwaway server"
    fi
    unset _MY_PID _MY_ROOT _MY_PORT _MY_ADMIN PHARMA_KIT_WAREHOUSE_URL_MYSQL
    return 0
}
