"""Locate the recorded transcripts the repository keeps in ``tests/fixtures/asterisk``.

They belong to the project, so a missing file fails the test (it never skips silently).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from callcenter.asterisk.transcripts import FIXTURES_ENV, Transcript, fixtures_dir, load


def fixture_path(name: str) -> Path:
    """Path of one transcript file; fails the test if it is not there."""
    folder = fixtures_dir()
    if not folder.is_dir():
        pytest.fail(f"Asterisk fixtures not found at {folder} (set {FIXTURES_ENV})", pytrace=False)
    path = folder / name
    if not path.is_file():
        pytest.fail(f"Asterisk fixture {name} missing in {folder}", pytrace=False)
    return path


def transcript(name: str) -> Transcript:
    return load(fixture_path(name))
