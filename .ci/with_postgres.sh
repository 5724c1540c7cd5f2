#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL server beside it (for the warehouse's PostgreSQL leg).
#   bash .ci/with_postgres.sh <command...>
# On CI (CI=true) PostgreSQL is installed if missing and must start; the tests then require it
# (PHARMA_KIT_REQUIRE_PG=1). Locally it starts when the binaries exist; otherwise those tests skip.
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=.ci/postgres.sh
source .ci/postgres.sh

if [ -n "${PHARMA_KIT_WAREHOUSE_URL_PG:-}" ]; then
    echo "[with_postgres] using the PostgreSQL given in PHARMA_KIT_WAREHOUSE_URL_PG" >&2
elif [ "${CI:-}" = "true" ]; then
    export PHARMA_KIT_REQUIRE_PG=1
    pg_start || { echo "[with_postgres] CI: could not start PostgreSQL" >&2; exit 1; }
    trap pg_stop EXIT
elif _pg_bindir >/dev/null; then
    if pg_start; then
        trap pg_stop EXIT
    else
        echo "[with_postgres] PostgreSQL binaries found but the server did not start; its tests will skip" >&2
    fi
else
    echo "[with_postgres] PostgreSQL not installed: the PostgreSQL warehouse tests will skip." >&2
    echo "[with_postgres] To run them: apt-get install postgresql (or set PHARMA_KIT_WAREHOUSE_URL_PG)." >&2
fi

"$@"
rc=$?
exit $rc
