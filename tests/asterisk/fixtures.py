"""Shared fixtures: locate the recorded transcripts, or skip with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from callcenter.asterisk.transcripts import FIXTURES_ENV, Transcript, fixtures_dir, load


def fixture_path(name: str) -> Path:
    """Path of one transcript file; skips the test if the fixture folder is not there."""
    folder = fixtures_dir()
    if not folder.is_dir():
        pytest.skip(f"Asterisk fixtures not found at {folder} (set {FIXTURES_ENV})")
    path = folder / name
    if not path.is_file():
        pytest.skip(f"Asterisk fixture {name} missing in {folder}")
    return path


def transcript(name: str) -> Transcript:
    return load(fixture_path(name))
