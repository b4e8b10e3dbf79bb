from __future__ import annotations

import pytest

from ivr_flows.catalogue import load_catalogue
from ivr_flows.context import FlowContext
from ivr_flows.loader import load_flows
from ivr_flows.plugins import default_registry
from ivr_flows.timing import PromptDurations

QUEUES = frozenset(
    [f"{lang}-general" for lang in ("zh", "en", "ja", "ko", "fr", "de", "ru")]
    + ["zh-consumer", "zh-housing-fund"]
)
DEPARTMENTS = {
    "housing-authority": "02161234567",
    "market-regulation": "02161234568",
    "public-security": "02161234569",
    "human-resources": "02161234570",
}


@pytest.fixture(scope="session")
def registry():
    return default_registry()


@pytest.fixture(scope="session")
def context(registry):
    return FlowContext(queues=QUEUES, departments=DEPARTMENTS, plugins=registry.names())


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="session")
def flows(context, catalogue):
    return load_flows(context=context, catalogue=catalogue)


@pytest.fixture(scope="session")
def durations(catalogue):
    return PromptDurations.estimated(catalogue)


@pytest.fixture(scope="session")
def built_prompts(tmp_path_factory, catalogue):
    """The whole catalogue synthesised once per test session."""
    import shutil

    from ivr_flows.prompts_build import build_prompts

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (Debian package espeak-ng)")
    return build_prompts(catalogue, tmp_path_factory.mktemp("prompts"))
