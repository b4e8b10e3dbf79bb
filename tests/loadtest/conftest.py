"""Prompts for the live load tests, built once per session (all languages: the menu needs them)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def all_prompts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed: cannot build the IVR prompts")
    from simulator.loadtest.inprocess import build_prompt_cache

    return build_prompt_cache(["zh", "en", "ja", "ko", "fr", "de", "ru"],
                              tmp_path_factory.mktemp("prompts"))
