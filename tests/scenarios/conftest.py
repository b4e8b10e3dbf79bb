"""The embedded engine's prompts, built once per session, for scenarios run over both adapters."""

from tests.telephony.conftest import prompts_dir  # noqa: F401 - the fixture
