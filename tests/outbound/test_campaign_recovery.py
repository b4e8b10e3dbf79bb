"""The campaign runner after a restart: the dialer lives in memory, so every case still waiting
for its return visit (in a real SQLite case store) gets its task again, to the case's number,
before its visit deadline; cases that need no visit do not."""

from __future__ import annotations

import asyncio

from callcenter.casework.service import build_casework
from callcenter.config import load_config
from callcenter.config.outbound_section import OutboundSection
from callcenter.runtime.campaigns import CampaignRunner
from cases.model import DeadlineKind
from outbound.model import Kind
from tests.outbound.helpers import AGENT, local, replied_case


def test_cases_waiting_for_their_visit_get_their_task_again_after_a_restart(tmp_path) -> None:
    now = [local(10)]
    casework = build_casework(f"sqlite:///{tmp_path / 'cases.db'}", clock=lambda: now[0])
    service = casework.service
    waiting = replied_case(service, "13800138000")
    closed = replied_case(service, "13900139000")
    service.record_system(closed, "VisitResult", {"reached": True, "solved": True, "satisfied": True})
    handling = service.open(AGENT, {"channel": "phone", "category": "0103", "text": "还在办理",
                                    "caller_number": "13700137000", "language": "zh"}).case.case_id
    now[0] = local(11)
    loop = asyncio.new_event_loop()
    try:
        config = load_config()
        runner = CampaignRunner(config, OutboundSection(gateway="127.0.0.1:5070"), service,
                                lambda: now[0], loop)
        assert runner.recover() == 1
        [task] = runner.dialer.tasks.values()
        due = service.case(AGENT, waiting).deadlines[DeadlineKind.VISIT]
        assert (task.case_id, task.number, task.kind) == (waiting, "13800138000", Kind.RETURN_VISIT)
        assert (task.due_at, task.expires, task.line) == (local(11), due, config.lines[0].number)
        assert handling not in {t.case_id for t in runner.dialer.tasks.values()}
    finally:
        loop.close()
        casework.close()
