#!/usr/bin/env bash
# Run a command with a throwaway MariaDB server beside it (for the warehouse's MySQL/MariaDB leg).
#   bash .ci/with_mariadb.sh <command...>        e.g.  bash .ci/with_mariadb.sh make test
# On CI (CI=true) Debian's mariadb-server is installed if missing and must start; the tests then require it
# (PHARMA_KIT_REQUIRE_MYSQL=1). Locally it starts when the binaries exist; otherwise those tests skip.
# Composes with .ci/with_postgres.sh (each wrapper starts its own server and stops it on exit).
set -uo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -eq 0 ]; then echo "usage: bash .ci/with_mariadb.sh <command...>" >&2; exit 2; fi
# shellcheck source=.ci/mariadb.sh
source .ci/mariadb.sh

if [ -n "${PHARMA_KIT_WAREHOUSE_URL_MYSQL:-}" ]; then
    echo "[with_mariadb] using the MariaDB/MySQL given in PHARMA_KIT_WAREHOUSE_URL_MYSQL" >&2
elif [ "${CI:-}" = "true" ]; then
    export PHARMA_KIT_REQUIRE_MYSQL=1
    my_start || { echo "[with_mariadb] CI: could not start MariaDB" >&2; exit 1; }
    trap my_stop EXIT
elif _my_present; then
    if my_start; then
        trap my_stop EXIT
    else
        echo "[with_mariadb] MariaDB binaries found but the server did not start; its tests will skip" >&2
    fi
else
    echo "[with_mariadb] MariaDB not installed: the MariaDB warehouse tests will skip." >&2
    echo "[with_mariadb] To run them: apt-get install mariadb-server (or set PHARMA_KIT_WAREHOUSE_URL_MYSQL)." >&2
fi

"$@"
rc=$?
exit $rc
