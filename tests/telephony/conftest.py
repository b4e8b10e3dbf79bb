"""Shared pieces for the embedded telephony tests: engine parts, prompts, seats, callers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.engine_parts import EngineParts, engine_parts  # noqa: F401 - used by the tests


@pytest.fixture(scope="session")
def prompts_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The zh and en prompts, built once per test session."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed: cannot build the IVR prompts")
    from ivr_flows.catalogue import load_catalogue
    from ivr_flows.prompts_build import build_prompts

    out = tmp_path_factory.mktemp("prompts")
    build_prompts(load_catalogue(), out, ["zh", "en"], workers=4)
    return out


