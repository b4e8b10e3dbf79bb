"""The return visit end to end over loopback: a case replied by a department, a survey call
through the outbound gateway to the citizen's softphone (pjsua2, keys as RFC 2833 events), the
citizen presses 2 (not solved, not satisfied): the case is re-handled and supervised; after the
department's second reply the re-visit call comes, the citizen presses 1: the case is closed.
Every step is in the case's history."""

from __future__ import annotations

import asyncio

import pytest

from callcenter.casework.accounts import User
from callcenter.config import load_config
from callcenter.config.outbound_section import OutboundSection
from callcenter.phone.softphone import AutoMode, PhoneEvent, Softphone
from callcenter.runtime.app import build_engine
from callcenter.runtime.campaigns import start_campaigns
from callcenter.telephony.embedded import start_embedded
from outbound.task import State
from tests.telephony.helpers import wait_for

pytestmark = [pytest.mark.sip, pytest.mark.timeout(120)]

LOCAL = "127.0.0.1"
CITIZEN = "13800138000"
AGENT = User("agent-1", "agent")
DEPARTMENT = User("housing-1", "department", "housing-authority")


def _history(service, case_id: str) -> list[str]:
    return [entry["type"] for entry in service.history(User("boss", "supervisor"), case_id)]


async def _answer_survey(control, phone: Softphone, keys: str) -> None:
    """Wait for each question of the survey call and press its key."""
    def asking(node: str) -> bool:
        for leg in control.callers.values():
            run = leg.run
            if run is not None and run.call_id == leg.call_id and leg.line == "12345" and (
                    run.node == node and run.playing is None and not run.finished):
                return True
        return False

    for node, key in zip(("solved", "satisfied"), keys, strict=True):
        await wait_for(lambda node=node: asking(node), 40)
        phone.digits(key)


def test_a_dissatisfied_visit_is_rehandled_and_the_revisit_closes_the_case(tmp_path, prompts_dir,
                                                                             pj_worker):
    events: list[PhoneEvent] = []
    phone = Softphone(pj_worker, f"{LOCAL}:5060", CITIZEN, on_event=events.append,
                      auto=AutoMode(answer_after=0.3))
    section = OutboundSection(gateway=f"{LOCAL}:{pj_worker.port}", calling_hours="00:00-23:59")
    config = load_config().model_copy(update={"outbound": section})
    engine = build_engine(config, db_url=f"sqlite:///{tmp_path / 'cc.db'}")

    async def scenario() -> None:
        tel = await start_embedded(engine, host=LOCAL, port=0, prompts_dir=prompts_dir, passwords={},
                                   hold_interval=0)
        runner = start_campaigns(engine, tel)
        assert runner is not None
        service = engine.casework.service
        try:
            opened = await asyncio.to_thread(service.open, AGENT, {
                "channel": "phone", "category": "0103", "text": "公积金提取一直没有到账",
                "caller_number": CITIZEN, "language": "zh"})
            case_id = opened.case.case_id
            for user, kind, fields in (
                    (AGENT, "Dispatched", {"lead": "housing-authority"}),
                    (DEPARTMENT, "SignedFor", {"department": "housing-authority"}),
                    (DEPARTMENT, "Replied", {"department": "housing-authority", "text": "已转办理"})):
                await asyncio.to_thread(service.act, user, case_id, kind, fields)
            await _answer_survey(tel.control, phone, "22")
            await wait_for(lambda: service.case(AGENT, case_id).status.value == "handling", 20)
            first = runner.ended[-1]
            assert first.reached and first.case_id == case_id and first.number == CITIZEN
            assert not first.answers.solved and not first.answers.satisfied

            await asyncio.to_thread(service.act, DEPARTMENT, case_id, "Replied",
                                    {"department": "housing-authority", "text": "已重新办理并到账"})
            await _answer_survey(tel.control, phone, "11")
            await wait_for(lambda: service.case(AGENT, case_id).status.value == "closed", 20)
            history = _history(service, case_id)
            steps = [kind for kind in history if kind not in ("DeadlineSet", "CardRaised")]
            assert steps == ["CaseOpened", "Dispatched", "SignedFor", "Replied", "VisitResult",
                             "Supervised", "RehandleOrdered", "Replied", "VisitResult", "Closed"]
            tasks = list(runner.dialer.tasks.values())
            assert [t.kind.value for t in tasks] == ["return_visit", "revisit"]
            assert all(t.state is State.DONE and t.number == CITIZEN for t in tasks)
            incoming = [e for e in events if e.kind == "ringing"]
            assert len(incoming) == 2  # one call per visit, both to the citizen's phone
        finally:
            await runner.close()
            await tel.close()

    try:
        asyncio.run(scenario())
    finally:
        phone.hangup() if phone.calls else None
        engine.close()
