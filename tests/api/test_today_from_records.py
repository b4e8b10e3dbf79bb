"""A restarted engine's board and figures keep the day: they start from the records of the
day's earlier calls, per queue and per line (12329's self-service included)."""

from __future__ import annotations

import time
from datetime import datetime
from datetime import time as dtime
from zoneinfo import ZoneInfo

from acd.events import CallArrived, CallerHungUp
from callcenter.records import RecordStore
from callcenter.records.lifecycle import CallClosed, CallOpened
from tests.api.conftest import LiveEngine
from tests.operations.factories import make_record

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_todays_counts_survive_a_restart(tmp_path):
    now = time.time()
    midnight = datetime.combine(datetime.now(SHANGHAI).date(), dtime(0), SHANGHAI).timestamp()
    t = max(midnight + 1, now - 600)  # earlier today, before this engine starts
    with RecordStore.open(f"sqlite:///{tmp_path}/cc.db") as earlier_run:
        earlier_run.add_calls([make_record("a1", arrived_at=t, wait=5.0, talk=60.0),
                               make_record("a2", arrived_at=t + 1, wait=40.0, talk=60.0),
                               make_record("x1", arrived_at=t + 2, wait=30.0, outcome="abandoned"),
                               make_record("y1", arrived_at=midnight - 5, wait=1.0, talk=9.0)])
        earlier_run.record_commands([CallOpened("ss", "12329", t + 3),
                                     CallClosed("ss", "12329", "self_service", t + 3, t + 50),
                                     CallOpened("cut", "12329", t + 4)])  # open: that run died
    live = LiveEngine(tmp_path)
    try:
        figures = live.get("/api/figures/today").json()
        general = figures["queues"]["zh-general"]
        assert (general["offered"], general["answered"], general["abandoned"]) == (3, 2, 1)
        assert general["service_level"] == 1 / 3 and figures["since"] == midnight
        live.submit(CallArrived("new", "zh-general", language="zh", line="12345"))
        live.submit(CallerHungUp("new"))
        live.call(live.engine.driver.publish, [CallOpened("ivr", "12329", time.time())])
        live.call(live.engine.driver.publish,
                  [CallClosed("ivr", "12329", "ivr_abandoned", time.time(), time.time())])
        board = live.get("/wallboard/snapshot").json()
        zh = next(q for q in board["queues"] if q["name"] == "zh-general")
        assert (zh["offered"], zh["abandoned"]) == (4, 2)
        lines = {line["line"]: line for line in board["lines"]}
        assert list(lines) == ["12345", "12315", "12329"]
        assert (lines["12345"]["arrived"], lines["12345"]["answered"]) == (3, 2)
        # the live abandon counts too (submitted straight to the ACD: no arrival was published)
        assert (lines["12345"]["abandoned"], lines["12345"]["offered"]) == (2, 4)
        housing = lines["12329"]
        assert (housing["arrived"], housing["self_service"], housing["lost"],
                housing["ivr_abandoned"]) == (3, 1, 1, 1)
    finally:
        live.close()
