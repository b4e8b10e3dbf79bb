"""Settings for the whole suite."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from ivr_flows.yaml_cache import ENV

_saved: dict[str, str | None] = {}


def pytest_configure(config: pytest.Config) -> None:
    """Keep YAML parses in a folder of this run's own, not the user's cache folder: a test then
    neither reads what another run (or another checkout) kept nor leaves anything behind. Set in
    the environment, so the processes tests start use it too; tests of the cache set their own."""
    _saved[ENV] = os.environ.get(ENV)
    os.environ[ENV] = tempfile.mkdtemp(prefix="callcenter-yaml-cache-")


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = os.environ.get(ENV)
    if folder and ENV in _saved:
        shutil.rmtree(folder, ignore_errors=True)
        previous = _saved.pop(ENV)
        if previous is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = previous
