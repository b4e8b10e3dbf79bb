"""The asyncio driver fires the core's deadlines on the wall clock and isolates sinks."""

import asyncio
import subprocess
import sys
import time

from acd.commands import CancelOffer, OfferCall
from acd.engine import ACD
from acd.events import AgentLoggedIn, CallArrived
from acd.model import QueueSpec
from agents.model import AgentSpec
from callcenter.runtime.core_driver import CoreDriver


def test_ring_no_answer_fires_on_time_and_a_failing_sink_harms_nobody():
    async def scenario():
        acd = ACD([QueueSpec("zh", {"zh": 1}, ring_timeout_seconds=0.2)],
                  [AgentSpec("a", skills={"zh": 3})])
        driver = CoreDriver(acd, clock=time.monotonic)
        seen: list = []
        fired_at: list[float] = []

        def broken(commands):
            raise RuntimeError("sink down")

        def record(commands):
            seen.extend(commands)
            if any(isinstance(c, CancelOffer) for c in commands):
                fired_at.append(time.monotonic())

        driver.add_sink(broken)
        driver.add_sink(record)
        driver.submit(AgentLoggedIn("a", ready=True))
        start = time.monotonic()
        driver.submit(CallArrived("c1", "zh"))
        await asyncio.sleep(0.5)
        driver.close()
        return seen, fired_at, start, acd

    seen, fired_at, start, acd = asyncio.run(scenario())
    assert any(isinstance(c, OfferCall) for c in seen)
    assert len(fired_at) == 1 and 0.15 <= fired_at[0] - start <= 0.4
    assert acd.seat("a").reason == "no-answer"
    assert acd.waiting_calls() == 1


def test_serve_starts_on_the_shipped_config_and_refuses_a_broken_one(tmp_path):
    db = tmp_path / "records" / "cc.db"
    ok = subprocess.run([sys.executable, "-m", "callcenter.cli", "serve", "--run-for", "0.5",
                         "--status-interval", "0.2", "--db", f"sqlite:///{db}",
                         "--sip", "off", "--api", "off", "--agi", "off"],
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert "engine ready" in ok.stderr and "status waiting=0" in ok.stderr
    assert db.exists()
    bad = tmp_path / "bad.yaml"
    bad.write_text("languages: [zh]\nservices: [general]\nlines: []\nqueues: []\nagents: 3\n")
    refused = subprocess.run([sys.executable, "-m", "callcenter.cli", "serve", "--config", str(bad)],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2
    assert "refusing to start" in refused.stderr and f"{bad}:5: agents" in refused.stderr
