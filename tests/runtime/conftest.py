"""Fixtures of the tests that run ``callcenter serve`` as a process."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def shared_prompts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One prompt folder for every serve of the session (built once, then cached)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed: serve cannot build its prompts")
    return tmp_path_factory.mktemp("serve-prompts")
