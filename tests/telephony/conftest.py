"""Shared pieces for the embedded telephony tests: engine parts, prompts, seats, callers."""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from acd.commands import CallFinished, CallRecord, Command
from acd.engine import ACD
from acd.events import Event
from callcenter.config import HotlineConfig, load_config
from callcenter.runtime.core_driver import CoreDriver


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


@dataclass
class EngineParts:
    """The parts of an engine the telephony layer uses, plus what the ACD emitted."""

    config: HotlineConfig
    acd: ACD
    driver: CoreDriver
    commands: list[Command] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    @property
    def records(self) -> list[CallRecord]:
        return [c.record for c in self.commands if isinstance(c, CallFinished)]

    def count(self, kind: type) -> int:
        """How many events of ``kind`` were submitted to the ACD."""
        return sum(isinstance(e, kind) for e in self.events)


def engine_parts(*, ring_timeout: float | None = None) -> EngineParts:
    """The shipped config's routing core and driver (build inside the event loop)."""
    config = load_config()
    if ring_timeout is not None:
        defaults = config.defaults.model_copy(update={"ring_timeout_seconds": ring_timeout})
        config = config.model_copy(update={"defaults": defaults})
    acd = ACD(config.queue_specs(), config.agent_specs(), rng=random.Random(7))
    parts = EngineParts(config, acd, CoreDriver(acd))
    parts.driver.add_sink(parts.commands.extend)
    submit = parts.driver.submit

    def recording_submit(event: Event) -> list[Command]:
        parts.events.append(event)
        return submit(event)

    parts.driver.submit = recording_submit  # type: ignore[method-assign]
    return parts
