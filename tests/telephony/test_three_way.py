"""The three-way call (三方通话) over loopback with real SIP user agents: the agent's desk
brings the department into the call, the engine mixes the three G.711 streams so each
party hears the other two (tones of distinct frequencies), the agent leaves and the caller
and the department talk on; the department leaving instead gives the caller back to the
agent; and the desk's blind transfer goes through the REFER path's checks."""

from __future__ import annotations

import asyncio

import pytest

from acd.events import AgentHungUp, CallerHungUp
from callcenter.media.dtmf import tone_ratio
from callcenter.media.player import PromptPlayer
from callcenter.media.rtp import RtpSender
from callcenter.media.rtp_endpoint import play
from callcenter.media.tone import sine
from callcenter.sip.useragent import Call
from callcenter.telephony.transfer import TransferRefused

from .helpers import Listener, wait_for
from .test_transfer import HOUSING, Parties, talking, with_parties

pytestmark = [pytest.mark.sip, pytest.mark.timeout(60)]

TONES = {"caller": 1000.0, "agent": 600.0, "department": 1400.0}


async def all_talk(calls: dict[str, Call]) -> dict[str, dict[str, float]]:
    """Every party sends its tone at once; per party, the share of what it heard at each tone."""
    listeners = {}
    for name, call in calls.items():
        listeners[name] = Listener()
        (await call.media()).on_packet = listeners[name]
    await asyncio.sleep(0.1)
    players = [play(await call.media(), PromptPlayer([sine(TONES[name], 0.8, amplitude=0.2)]),
                    RtpSender(call.payload_type), call.remote_media, payload_type=call.payload_type)
               for name, call in calls.items()]
    await asyncio.gather(*players)
    await asyncio.sleep(0.1)
    return {name: {other: tone_ratio(listeners[name].tail(0.4), 8000, freq) for other, freq in TONES.items()}
            for name in calls}


def test_three_way_call_each_hears_the_other_two_then_the_agent_leaves(prompts_dir):
    async def body(p: Parties) -> None:
        dept_call = await p.department_joins()
        heard = await all_talk({"caller": p.call, "agent": p.seat_call, "department": dept_call})
        for name, shares in heard.items():
            for other, share in shares.items():
                if other == name:
                    assert share < 0.05, (name, "hears itself", heard)
                else:
                    assert share > 0.25, (name, "does not hear", other, heard)
        assert not p.seat_call.ended.is_set() and not p.seat_call.notifies  # no REFER, no NOTIFY
        with pytest.raises(TransferRefused):  # one department at a time
            p.parts.call_actions.three_way("1001", HOUSING)
        # The agent leaves: the caller and the department talk on, the agent wraps up.
        p.parts.call_actions.leave("1001")
        await asyncio.wait_for(p.seat_call.ended.wait(), 3)
        assert await talking(p.call, dept_call)
        (hung_up,) = p.parts.submitted(AgentHungUp)
        assert hung_up.transferred_to == "housing-authority" and p.parts.count(CallerHungUp) == 0
        await p.caller.hangup(p.call)
        await asyncio.wait_for(dept_call.ended.wait(), 3)
        assert not p.tel.control.callers and not p.tel.control.dialogs

    with_parties(prompts_dir, body)


def test_the_department_leaving_gives_the_caller_back_to_the_agent(prompts_dir):
    async def body(p: Parties) -> None:
        await p.department.hangup(await p.department_joins())
        await wait_for(lambda: p.tel.control.callers[p.call.call_id].department is None, 3)
        assert await talking(p.call, p.seat_call)  # bridged again, both ways
        assert not p.call.ended.is_set() and p.parts.count(AgentHungUp) == 0
        await p.caller.hangup(p.call)
        await asyncio.wait_for(p.seat_call.ended.wait(), 3)

    with_parties(prompts_dir, body)


def test_desk_transfer_is_checked_like_a_refer(prompts_dir):
    async def body(p: Parties) -> None:
        actions = p.parts.call_actions
        for agent, number, status in (("1001", "13900139000", 403), ("1002", HOUSING, 409)):
            with pytest.raises(TransferRefused) as refused:  # not a department; not talking
                actions.transfer(agent, number)
            assert refused.value.status == status
        with pytest.raises(TransferRefused):
            actions.leave("1001")  # no three-way call to leave
        assert not p.dept_calls and not p.seat_call.ended.is_set()
        actions.transfer("1001", HOUSING)
        await wait_for(lambda: p.dept_calls and p.dept_calls[0].state == "confirmed", 5)
        await asyncio.wait_for(p.seat_call.ended.wait(), 3)  # released once the department answers
        assert await talking(p.call, p.dept_calls[0])
        await p.caller.hangup(p.call)
        await asyncio.wait_for(p.dept_calls[0].ended.wait(), 3)

    with_parties(prompts_dir, body)
