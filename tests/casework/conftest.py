"""Case stores on a real SQLite file and, when $CALLCENTER_TEST_POSTGRES_URL is set, on
PostgreSQL (each test there in a schema of its own, dropped afterwards)."""

from __future__ import annotations

import os
import uuid

import pytest

from callcenter.casework.store import CaseStore

PG_URL = os.environ.get("CALLCENTER_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh database: a SQLite file, or a PostgreSQL schema of its own (dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cases.db'}"
        return
    if not PG_URL:
        pytest.skip("set CALLCENTER_TEST_POSTGRES_URL to run against PostgreSQL")
    psycopg = pytest.importorskip("psycopg")
    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema},public"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def case_store(db_url):
    store = CaseStore.open(db_url)
    yield store
    store.close()


@pytest.fixture
def api(db_url):
    """The case API over each database, with two agents, a supervisor, and users of the water
    and transport departments; the clock at Monday 2026-11-16 09:00 Beijing time."""
    from tests.casework.api_client import CaseApi, Clock

    case_api = CaseApi(db_url, Clock(MONDAY_9AM))
    case_api.add_user("agent1", "agent")
    case_api.add_user("agent2", "agent")
    case_api.add_user("boss", "supervisor")
    case_api.add_user("water1", "department", "water")
    case_api.add_user("bus1", "department", "transport")
    yield case_api
    case_api.close()


MONDAY_9AM = 1_794_790_800.0  # Monday 2026-11-16 09:00 +08:00
