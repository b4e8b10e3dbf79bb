"""The return visit end to end over loopback: a case replied by a department, a survey call
through the outbound gateway to the citizen's softphone (pjsua2, keys as RFC 2833 events), the
citizen presses 2 (not solved, not satisfied): the case is re-handled and supervised; after the
department's second reply the re-visit call comes, the citizen presses 1: the case is closed.
Every step is in the case's history."""

from __future__ import annotations

import pytest

from callcenter.phone.softphone import AutoMode, PhoneEvent, Softphone
from outbound.task import State
from tests.outbound.helpers import visited_twice
from tests.phone.outbound_engine import LOCAL, outbound_engine, run_campaigns
from tests.telephony.helpers import wait_for

pytestmark = [pytest.mark.sip, pytest.mark.timeout(120)]

# A number no other phone of the test session uses: pjsua2 hands an incoming call to the first
# account with the called user, and accounts live as long as the session's one worker (the
# agent-phone test's caller is 13800138000, and took this test's survey call when run before it).
CITIZEN = "13500135000"


async def _answer_survey(control, phone: Softphone, keys: str) -> None:
    """Wait for each question of the survey call and press its key."""
    def asking(node: str) -> bool:
        for leg in control.callers.values():
            run = leg.call.run if leg.call is not None else None
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
    engine = outbound_engine(tmp_path, pj_worker.port, "00:00-23:59")

    async def scenario(tel, runner) -> None:
        service = engine.casework.service
        await visited_twice(service, runner, CITIZEN, lambda keys: _answer_survey(tel.control, phone, keys))
        tasks = list(runner.dialer.tasks.values())
        assert [t.kind.value for t in tasks] == ["return_visit", "revisit"]
        assert all(t.state is State.DONE and t.number == CITIZEN for t in tasks)
        incoming = [e for e in events if e.kind == "ringing"]
        assert len(incoming) == 2  # one call per visit, both to the citizen's phone

    run_campaigns(engine, prompts_dir, scenario)
