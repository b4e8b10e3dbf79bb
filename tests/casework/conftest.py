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


@pytest.fixture
def api(tmp_path):
    """The case API over a SQLite file, with an agent, a supervisor, and users of the water
    and transport departments; the clock at Monday 2026-11-16 09:00 Beijing time."""
    from tests.casework.api_client import CaseApi, Clock

    case_api = CaseApi(f"sqlite:///{tmp_path / 'cases.db'}", Clock(MONDAY_9AM))
    case_api.add_user("agent1", "agent")
    case_api.add_user("agent2", "agent")
    case_api.add_user("boss", "supervisor")
    case_api.add_user("water1", "department", "water")
    case_api.add_user("bus1", "department", "transport")
    yield case_api
    case_api.close()


MONDAY_9AM = 1_794_790_800.0  # Monday 2026-11-16 09:00 +08:00
