"""Case stores on a real SQLite file and, when $CALLCENTER_TEST_POSTGRES_URL is set, on
PostgreSQL (each test there in a schema of its own, dropped afterwards)."""

from __future__ import annotations

import os
import uuid

import pytest

from callcenter.casework.store import CaseStore

PG_URL = os.environ.get("CALLCENTER_TEST_POSTGRES_URL")


def _postgres_store() -> CaseStore:
    if not PG_URL:
        pytest.skip("set CALLCENTER_TEST_POSTGRES_URL to run against PostgreSQL")
    psycopg = pytest.importorskip("psycopg")
    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_URL else "?"
    store = CaseStore.open(f"{PG_URL}{sep}options=-csearch_path%3D{schema},public")
    store.pg_schema = schema
    return store


@pytest.fixture(params=["sqlite", "postgresql"])
def case_store(request, tmp_path):
    if request.param == "sqlite":
        store = CaseStore.open(f"sqlite:///{tmp_path / 'cases.db'}")
        yield store
        store.close()
        return
    store = _postgres_store()
    yield store
    store.close()
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA {store.pg_schema} CASCADE")
