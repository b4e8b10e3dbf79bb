"""The generated AMI user may do what the engine does over AMI, and no more.

Grounded in recorded Asterisk traffic: each event's class is the ``Privilege:`` Asterisk sent
it with, and the rendered manager.conf of before (``write=system,call,reporting``) got
"Permission denied" for every Originate on a real Asterisk 23.4.1.
"""

from __future__ import annotations

import re

import pytest

from callcenter.asterisk.ami_tracking import CallTracker, SeatTracker
from callcenter.asterisk.transcripts import fixtures_dir
from callcenter.asterisk_engine.ami_needs import ACTIONS, EVENTS, FORBIDDEN_WRITE
from callcenter.asterisk_engine.seats import AMI_EVENTS
from sip_config import parse_conf
from sip_config.render import render_manager

_EVENT = re.compile(r"^<< Event: (\w+)\n<< Privilege: ([\w,]+)$", re.M)


def classes(key: str) -> set[str]:
    manager = parse_conf(render_manager("ami-test-Zr81"))
    (user,) = manager.named("callcenter")
    return set(manager.get(user, key).split(","))


def allowed(action: str, write: set[str]) -> bool:
    needs = ACTIONS[action]
    return not needs or bool(needs & write)


def recorded_privileges() -> dict[str, set[str]]:
    seen: dict[str, set[str]] = {}
    for path in sorted(fixtures_dir().rglob("*.txt")):
        for event, privilege in _EVENT.findall(path.read_text(encoding="utf-8")):
            seen.setdefault(event, set()).add(privilege.split(",")[0])
    return seen


def test_every_event_the_engine_follows_reaches_it():
    read = classes("read")
    followed = {*SeatTracker.EVENTS, *CallTracker.EVENTS, "OriginateResponse", "FullyBooted"}
    assert followed <= set(EVENTS)
    assert {EVENTS[event] for event in EVENTS} == read
    assert set(AMI_EVENTS.split(",")) <= read  # what the engine asks for at login is granted


def test_queue_dialplan_and_agi_events_are_readable_and_rtcp_reports_are_not():
    read = classes("read")
    assert {"agent", "dialplan", "agi"} <= read
    assert "reporting" not in read  # RTCPReceived/RTCPSent for every call leg


def test_each_event_class_is_the_one_asterisk_sends_it_with():
    recorded = recorded_privileges()
    checked = {event for event in EVENTS if event in recorded}
    assert len(checked) >= 15, sorted(checked)
    for event in checked:
        assert recorded[event] == {EVENTS[event]}, event
    assert recorded["RTCPReceived"] == {"reporting"}


def test_every_action_is_allowed_and_no_write_class_is_spare():
    write = classes("write")
    assert all(allowed(action, write) for action in ACTIONS)
    for spare in write:
        assert not all(allowed(action, write - {spare}) for action in ACTIONS), spare
    assert not write & FORBIDDEN_WRITE


@pytest.mark.parametrize(("write", "denied"), [("system,call,reporting", True),
                                                ("system,call,reporting,originate", False)])
def test_the_model_agrees_with_the_recorded_originates(write, denied):
    text = (fixtures_dir() / "live" / "ami_originate_to_seat.txt").read_text(encoding="utf-8")
    connection = text.split("# ==== connection ")[1 if denied else 2]
    answers = re.findall(r"^<< ActionID: orig-[\w-]+\n<< Message: (.+)$", connection, re.M)
    assert len(answers) == 3
    assert all(a == "Permission denied" for a in answers) is denied
    assert allowed("Originate", set(write.split(","))) is not denied
