"""The stored callbacks on a real SQLite file (and PostgreSQL when configured): every field
comes back as written, changes land in order, visits are not stored (their cases hold them),
and finished tasks older than the period are dropped at load."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from callcenter.casework.store import CaseStore
from callcenter.runtime.campaign_store import TaskStore
from outbound.model import Kind, Mode
from outbound.task import State, Task
from tests.casework.conftest import db_url  # noqa: F401 - shared fixture


@pytest.fixture
def stores(db_url):  # noqa: F811
    case_store = CaseStore.open(db_url)
    store = TaskStore(case_store)
    yield case_store, store
    store.close()
    case_store.close()


def _task(task_id: str, **changes) -> Task:
    task = Task(task_id, Kind.MISSED_CALL, Mode.SURVEY, "13800138000", "12345", 1000.0, 1000.5, 8200.25,
                call_id="c-1", language="en")
    return replace(task, **changes)


def test_tasks_come_back_as_stored_and_the_last_change_wins(stores) -> None:
    case_store, store = stores
    first = _task("missed_call-1")
    store.save([first, _task("return_visit-2", kind=Kind.RETURN_VISIT, case_id="C1")])
    store.save([replace(first, state=State.DIALLING, attempts=1, since=1001.0)])
    store.save([_task("missed_call-3", number="053188881234", expires=None, created=1002.0)])
    store.flush()
    loaded = store.load(since=0.0)
    assert loaded == [replace(first, state=State.DIALLING, attempts=1, since=1001.0),
                      _task("missed_call-3", number="053188881234", expires=None, created=1002.0)]


def test_finished_tasks_before_the_period_are_dropped_and_pending_ones_kept(stores) -> None:
    _, store = stores
    store.save([_task("missed_call-1", state=State.DONE, created=10.0),
                _task("missed_call-2", state=State.SCHEDULED, created=20.0),
                _task("missed_call-3", state=State.EXHAUSTED, created=5000.0)])
    store.flush()
    assert [t.task_id for t in store.load(since=1000.0)] == ["missed_call-2", "missed_call-3"]
    assert [t.task_id for t in store.load(since=0.0)] == ["missed_call-2", "missed_call-3"]


def test_changes_after_closing_are_not_written_and_do_not_raise(stores) -> None:
    _, store = stores
    store.close()
    store.save([_task("missed_call-1")])


def test_tasks_are_written_only_outside_the_case_stores_own_transactions(stores) -> None:
    case_store, store = stores
    with case_store.transaction() as db:  # a case being committed on another thread, say
        store.save([_task("missed_call-1")])
        flushed = threading.Thread(target=store.flush)
        flushed.start()
        flushed.join(0.3)  # the writer must wait for the lock: nothing to await but its absence
        assert flushed.is_alive()
        assert db.query("SELECT task_id FROM outbound_tasks") == []
    flushed.join()
    assert [t.task_id for t in store.load(since=0.0)] == ["missed_call-1"]
