"""Missed-call callbacks over loopback: a caller (pjsua2) who gives up waiting is called back
through the outbound gateway from the line they called, hears the offer and presses 1 for an
agent; when they give up again within the period they are not called a second time; a caller
turned away at overload (503) is called back too; outside calling hours the callback waits
for the opening instead of being dialled; and a callback pending when the engine stops is
dialled by the next one, once, and not again in the period after another restart. Only a
caller ID from the trust domain (the trunk's address) is called back: a peer elsewhere asserting
one is not, whether it gave up waiting or was turned away."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from callcenter.phone.softphone import AutoMode, PhoneEvent, Softphone
from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import UserAgent
from callcenter.telephony.admission import AdmissionLimits
from outbound.model import Kind
from outbound.task import State
from tests.phone.outbound_engine import LOCAL, outbound_engine, run_campaigns
from tests.security.helpers import SpoofingCaller
from tests.telephony.helpers import wait_for

pytestmark = [pytest.mark.sip, pytest.mark.timeout(120)]

CITIZEN = "13900139000"


async def _give_up_waiting(engine, phone: Softphone, port: int) -> None:
    """Call 12345 (no agent is logged in), wait in the queue, hang up."""
    waiting = engine.acd.waiting_calls()
    call = phone.dial(f"sip:12345@{LOCAL}:{port}")
    await wait_for(lambda: engine.acd.waiting_calls() == waiting + 1, 30)
    phone.hangup(call)
    await wait_for(lambda: engine.acd.waiting_calls() == waiting, 10)


def _missed(runner) -> list:
    return [t for t in runner.dialer.tasks.values() if t.kind is Kind.MISSED_CALL]


def test_a_caller_who_gave_up_is_called_back_once_in_the_period(tmp_path, prompts_dir, pj_worker):
    engine = outbound_engine(tmp_path, pj_worker.port, "00:00-23:59")
    events: list[PhoneEvent] = []

    async def scenario(tel, runner) -> None:
        phone = Softphone(pj_worker, f"{LOCAL}:{tel.port}", CITIZEN, on_event=events.append,
                          auto=AutoMode(answer_after=0.3))
        await _give_up_waiting(engine, phone, tel.port)
        await wait_for(lambda: any(e.kind == "ringing" for e in events), 20)
        [task] = _missed(runner)
        assert (task.number, task.line) == (CITIZEN, "12345")

        def offered() -> bool:
            runs = [(leg, leg.call.run) for leg in tel.control.callers.values()
                    if leg.call is not None and leg.call.run is not None]
            return any(leg.callback_invite is not None and run.node == "offer"
                       and run.playing is None for leg, run in runs)

        await wait_for(offered, 30)
        phone.digits("1")  # an agent, please: the callback waits in the line's queue
        await wait_for(lambda: engine.acd.waiting_calls() == 1, 15)
        phone.hangup()
        await wait_for(lambda: task.state is State.DONE, 15)

        await _give_up_waiting(engine, phone, tel.port)  # again, within the period
        await wait_for(lambda: engine.acd.stats["zh-general"].abandoned >= 3, 10)
        assert _missed(runner) == [task]
        assert sum(e.kind == "ringing" for e in events) == 1

    run_campaigns(engine, prompts_dir, scenario)


def test_a_caller_turned_away_at_overload_is_called_back(tmp_path, prompts_dir, pj_worker):
    engine = outbound_engine(tmp_path, pj_worker.port, "00:00-23:59")
    events: list[PhoneEvent] = []

    async def scenario(tel, runner) -> None:
        phone = Softphone(pj_worker, f"{LOCAL}:{tel.port}", "13600136000", on_event=events.append,
                          auto=AutoMode(answer_after=0.3))
        phone.dial(f"sip:12345@{LOCAL}:{tel.port}")  # the engine is full: 503
        await wait_for(lambda: tel.control.refused == 1, 10)
        await wait_for(lambda: any(e.kind == "ringing" for e in events), 20)
        [task] = _missed(runner)
        assert (task.number, task.line, task.attempts) == ("13600136000", "12345", 1)
        phone.hangup()

    run_campaigns(engine, prompts_dir, scenario, AdmissionLimits(max_calls=0))


def _hours_excluding_now(timezone: str) -> str:
    hour = dt.datetime.now(ZoneInfo(timezone)).hour
    return f"{hour + 2:02d}:00-23:59" if hour < 20 else f"00:00-{hour - 2:02d}:00"


def test_outside_calling_hours_the_callback_waits_for_the_opening(tmp_path, prompts_dir, pj_worker):
    engine = outbound_engine(tmp_path, pj_worker.port, _hours_excluding_now("Asia/Shanghai"))
    events: list[PhoneEvent] = []

    async def scenario(tel, runner) -> None:
        phone = Softphone(pj_worker, f"{LOCAL}:{tel.port}", "13700137000", on_event=events.append,
                          auto=AutoMode(answer_after=0.3))
        await _give_up_waiting(engine, phone, tel.port)
        await wait_for(lambda: len(_missed(runner)) == 1, 10)
        [task] = _missed(runner)
        hours = runner.dialer.rules.hours
        now = engine.driver.clock()
        assert not hours.is_open(now)
        assert task.attempts == 0 and task.state in (State.SCHEDULED, State.EXPIRED)
        assert runner.dialer.next_deadline() is None or runner.dialer.next_deadline() >= min(
            hours.next_open(now), task.expires)
        assert not any(e.kind == "ringing" for e in events)

    run_campaigns(engine, prompts_dir, scenario)


def test_a_callback_pending_at_a_restart_is_dialled_once_by_the_next_engine(tmp_path, prompts_dir, pj_worker):
    number = "13400134000"
    events: list[PhoneEvent] = []
    phone = Softphone(pj_worker, LOCAL, number, on_event=events.append, auto=AutoMode(answer_after=0.3))
    # 1. Outside calling hours: the caller gives up; the callback waits for the opening.
    hours = _hours_excluding_now("Asia/Shanghai")
    first = outbound_engine(tmp_path, pj_worker.port, hours, within_minutes=1440)

    async def gives_up(tel, runner) -> None:
        await _give_up_waiting(first, phone, tel.port)
        await wait_for(lambda: len(_missed(runner)) == 1, 10)
        assert _missed(runner)[0].state is State.SCHEDULED

    run_campaigns(first, prompts_dir, gives_up)
    assert not any(e.kind == "ringing" for e in events)

    # 2. The next engine, now within calling hours, takes the callback up and dials it once.
    second = outbound_engine(tmp_path, pj_worker.port, "00:00-23:59", within_minutes=1440)

    async def called_back(tel, runner) -> None:
        [task] = _missed(runner)
        await wait_for(lambda: any(e.kind == "ringing" for e in events), 20)
        assert (task.number, task.attempts) == (number, 1)
        await wait_for(lambda: any(leg.callback_invite is not None and leg.call is not None
                                   and leg.call.run is not None and leg.call.run.node == "offer"
                                   for leg in tel.control.callers.values()), 30)
        phone.digits("1")
        await wait_for(lambda: second.acd.waiting_calls() == 1, 15)
        phone.hangup()
        await wait_for(lambda: task.state is State.DONE, 15)

    run_campaigns(second, prompts_dir, called_back)

    # 3. Another restart: nothing to dial, and the number gave up again within the period.
    third = outbound_engine(tmp_path, pj_worker.port, "00:00-23:59", within_minutes=1440)

    async def not_again(tel, runner) -> None:
        assert _missed(runner) == [] and runner.dialer.next_deadline() is None
        await _give_up_waiting(third, phone, tel.port)
        await wait_for(lambda: third.acd.stats["zh-general"].abandoned >= 1, 10)
        assert _missed(runner) == []

    run_campaigns(third, prompts_dir, not_again)
    assert sum(e.kind == "ringing" for e in events) == 1


@pytest.mark.parametrize("turned_away", [False, True], ids=["gave-up", "refused-503"])
def test_only_a_caller_id_from_the_trunks_address_is_called_back(tmp_path, prompts_dir, pj_worker, caplog,
                                                                  turned_away):
    engine = outbound_engine(tmp_path, pj_worker.port, _hours_excluding_now("Asia/Shanghai"),
                             within_minutes=1440)

    async def missed(caller: UserAgent, tel) -> None:
        """``caller`` dials 12345 and gives up waiting (or is answered 503)."""
        if turned_away:
            refused = tel.control.refused
            call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
            assert call.status == 503 and tel.control.refused == refused + 1
            return
        call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
        await wait_for(lambda: engine.acd.waiting_calls() == 1, 30)
        await caller.hangup(call)
        await wait_for(lambda: engine.acd.waiting_calls() == 0, 10)

    async def scenario(tel, runner) -> None:
        # PAI, From, Via and Contact all name the trunk's host (127.0.0.1): it sends from 127.0.0.2
        spoofer = SpoofingCaller(await open_endpoint(host="127.0.0.2", port=0), LOCAL, CITIZEN, media=True)
        trunk = UserAgent(await open_endpoint(host=LOCAL, port=0), user="13500135000", media=True)
        try:
            await missed(spoofer, tel)
            if not turned_away:
                await wait_for(lambda: any("no callback (no own number from a trusted peer)" in r.message
                                           for r in caplog.records), 10)
            assert _missed(runner) == []
            await missed(trunk, tel)
            await wait_for(lambda: len(_missed(runner)) == 1, 10)
            assert _missed(runner)[0].number == "13500135000"
            doubted = [r for r in caplog.records if "caller ID not believed" in r.message]
            assert tel.control.not_believed == 1
            # a refusal is counted, not logged (a flood of 503s would flood the log)
            assert ["127.0.0.2" in r.message for r in doubted] == ([] if turned_away else [True])
        finally:
            for ua in (spoofer, trunk):
                await ua.endpoint.close()

    caplog.set_level("INFO")
    run_campaigns(engine, prompts_dir, scenario, AdmissionLimits(max_calls=0) if turned_away else None)
