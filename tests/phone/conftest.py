"""Fixtures for the softphone tests: the prompts, and one pjsua2 worker per test session."""

from __future__ import annotations

import pytest

from tests.telephony.conftest import prompts_dir  # noqa: F401 - shared fixture

pjsua2 = pytest.importorskip("pjsua2")


@pytest.fixture(scope="session")
def pj_worker():
    """The test process's pjsua2 Endpoint (there can be only one), on its own thread."""
    from callcenter.phone.worker import PjWorker

    worker = PjWorker().start()
    yield worker
    worker.stop()
