"""An engine inside the load generator's process: build_engine plus embedded SIP on a free port."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from agents.model import AgentSpec
from simulator.loadtest.plan import engine_config
from simulator.scenario import LoadedScenario


class PromptsUnavailable(RuntimeError):
    """The IVR prompts cannot be built (espeak-ng missing)."""


def prompts_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "callcenter12345" / "prompts"


def prompt_languages(loaded: LoadedScenario) -> list[str]:
    """zh and en carry line 12345's greeting; a foreign caller hears the whole language menu."""
    if all(a.language == "zh" for a in loaded.scenario.arrivals):
        return ["zh", "en"]
    return list(loaded.config.languages)


def build_prompt_cache(languages: list[str], out: Path | None = None) -> Path:
    """Synthesise the prompts once into the cache folder (later runs reuse the files)."""
    from ivr_flows.catalogue import load_catalogue
    from ivr_flows.prompts_build import EspeakMissing, build_prompts

    out = out or prompts_cache()
    try:
        build_prompts(load_catalogue(), out, languages, workers=2)
    except EspeakMissing as exc:
        raise PromptsUnavailable(str(exc)) from None
    return out


@dataclass
class LocalEngine:
    engine: object
    telephony: object
    passwords: dict[str, str]

    @property
    def port(self) -> int:
        return self.telephony.port

    async def close(self) -> None:
        await self.telephony.close()
        self.engine.writer.flush(30)


async def start_local(loaded: LoadedScenario, seats: list[AgentSpec], db_url: str,
                      prompts_dir: Path, host: str = "127.0.0.1",
                      rtp_timeout: float | None = None) -> LocalEngine:
    """Start an engine whose roster is ``seats``; each seat gets a fresh random password.
    ``rtp_timeout``: seconds of RTP silence after which the engine gives up on a party
    (None: the engine's default)."""
    from callcenter.runtime.app import build_engine
    from callcenter.telephony.embedded import start_embedded

    engine = build_engine(engine_config(loaded, seats), db_url=db_url)
    passwords = {s.agent_id: secrets.token_urlsafe(12) for s in seats}
    extra = {} if rtp_timeout is None else {"rtp_timeout": rtp_timeout}
    telephony = await start_embedded(engine, host=host, port=0, prompts_dir=prompts_dir,
                                     passwords=passwords, **extra)
    return LocalEngine(engine, telephony, passwords)
