"""The exported SIPp caller scenario, run with sipp against an in-process engine."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from callcenter.config import load_config
from callcenter.records import RecordStore
from callcenter.runtime.app import build_engine
from callcenter.telephony.embedded import start_embedded
from simulator.loadtest.sipp import export_sipp

pytestmark = [pytest.mark.sip, pytest.mark.timeout(60)]


@pytest.mark.skipif(shutil.which("sipp") is None, reason="sipp is not installed")
def test_exported_caller_scenario_places_calls(all_prompts, tmp_path):
    language = "en"  # keys 9 then 1, from the exported pcap
    export_sipp(tmp_path / "sipp")
    scenario = tmp_path / "sipp" / f"caller_{language}.xml"

    async def run() -> int:
        engine = build_engine(load_config(), db_url=f"sqlite:///{tmp_path}/records.db")
        tel = await start_embedded(engine, host="127.0.0.1", port=0, prompts_dir=all_prompts,
                                   passwords={})
        try:
            proc = await asyncio.create_subprocess_exec(
                "sipp", f"127.0.0.1:{tel.port}", "-sf", str(scenario), "-s", "12345",
                "-i", "127.0.0.1", "-p", "0", "-mp", "0", "-m", "4", "-r", "4", "-l", "4",
                "-d", "6000", "-timeout", "40s", "-timeout_error", "-nostdin", "-trace_err", "-trace_stat",
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
                cwd=tmp_path)
            await asyncio.wait_for(proc.wait(), 50)
            await asyncio.sleep(0.5)
            assert engine.acd.live_calls() == 0
            return proc.returncode
        finally:
            await tel.close()
            engine.close()

    assert asyncio.run(run()) == 0  # sipp: every call completed
    # No seat is logged in: each caller queued (in its language) and hung up after -d.
    with RecordStore.open(f"sqlite:///{tmp_path}/records.db", create=False) as store:
        rows = store.calls()
    assert len(rows) == 4
    assert {(r.outcome, r.language) for r in rows} == {("abandoned", language)}
