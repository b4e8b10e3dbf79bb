"""Shared fixtures for the hostile-peer tests: the telephony tests' prompts and engine parts."""

from __future__ import annotations

from tests.telephony.conftest import prompts_dir  # noqa: F401 - a fixture
