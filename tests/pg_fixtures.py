"""Warehouse fixtures for both backends: import them into a test module (``from pg_fixtures import warehouse``).

The SQLite leg always runs (a file in tmp_path). The PostgreSQL leg runs when ``PHARMA_KIT_WAREHOUSE_URL_PG``
names a server, e.g. the throwaway one from ``.ci/postgres.sh``::

    source .ci/postgres.sh && pg_start && trap pg_stop EXIT && .venv/bin/pytest tests/test_warehouse.py

and is skipped, saying exactly that, otherwise. Each PostgreSQL test starts from freshly created tables.
"""
from __future__ import annotations

import os

import pytest

from pharma_kit.warehouse import Warehouse, sqlite_url

PG_ENV = "PHARMA_KIT_WAREHOUSE_URL_PG"
PG_SKIP = (f"PostgreSQL leg skipped: {PG_ENV} is not set. Enable it with "
           "`source .ci/postgres.sh && pg_start && trap pg_stop EXIT` (starts a throwaway server and exports "
           f"{PG_ENV}), or point {PG_ENV} at any postgresql+psycopg:// URL.")


def backend_url(backend: str, tmp_path) -> str:
    """The URL for ``backend`` ("sqlite" or "postgresql"), or skip the test when PostgreSQL is not configured."""
    if backend == "sqlite":
        return sqlite_url(tmp_path / "warehouse.sqlite")
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("PHARMA_KIT_REQUIRE_PG") == "1":  # CI: a missing server is a failure, not a skip
            pytest.fail(f"PHARMA_KIT_REQUIRE_PG=1 but {PG_ENV} is not set")
        pytest.skip(PG_SKIP)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def warehouse_url(request, tmp_path) -> str:
    """A URL to an empty warehouse on each backend."""
    url = backend_url(request.param, tmp_path)
    with Warehouse(url) as wh:
        wh.drop_schema()
        wh.create_schema()
    return url


@pytest.fixture
def warehouse(warehouse_url):
    """An empty :class:`Warehouse` on each backend, disposed after the test."""
    with Warehouse(warehouse_url) as wh:
        yield wh
