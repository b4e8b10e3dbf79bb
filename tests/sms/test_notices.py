"""Notices queued with the case change that calls for them: intake and closure, in the case's
language, only to a mainland mobile number, once, held through the quiet hours."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from callcenter.config.sms_section import SmsSection
from callcenter.sms.wiring import attach_notices
from tests.casework.conftest import MONDAY_9AM
from tests.casework.test_cases_api import intake

TZ = ZoneInfo("Asia/Shanghai")
HOUR = 3600.0


def sms_section(**extra) -> SmsSection:
    return SmsSection(smsc="127.0.0.1:2775", system_id="hotline", **extra)


@pytest.fixture
def outbox(api):
    return attach_notices(api.casework, sms_section(), line="12345")


def test_intake_queues_one_notice_with_the_case_number(api, outbox):
    case_id = intake(api)["case_id"]
    [message] = outbox.messages(case_id)
    assert message["message_id"] == f"{case_id}/intake" and message["status"] == "queued"
    assert message["number"] == "13800000001" and message["language"] == "zh"
    assert case_id in message["text"] and message["text"].startswith("【12345】")
    assert message["not_before"] == MONDAY_9AM
    assert [m.message_id for m in outbox.due(MONDAY_9AM)] == [message["message_id"]]


def test_language_of_the_case_and_fallback(api, outbox):
    english = intake(api, language="en")["case_id"]
    korean = intake(api, language="ko")["case_id"]
    cantonese = intake(api, language="yue")["case_id"]  # no template: the default language
    text = outbox.messages(english)[0]["text"]
    assert text.startswith(f"[12345] Your request is registered as case {english}")
    assert outbox.messages(korean)[0]["language"] == "ko"
    assert outbox.messages(cantonese)[0]["language"] == "zh"


@pytest.mark.parametrize("number", ["053188881234", "12345", "", "10012345678", "+447911123456"])
def test_no_notice_unless_the_case_has_a_mainland_mobile_number(api, outbox, number):
    case_id = intake(api, caller_number=number)["case_id"]
    assert outbox.messages(case_id) == []


def close_with_reply(api, case_id: str, reply: str) -> None:
    api.ok("agent1", f"/api/cases/{case_id}/dispatch", {"lead": "water"})
    api.ok("water1", f"/api/cases/{case_id}/sign", {"department": "water"})
    api.ok("water1", f"/api/cases/{case_id}/reply", {"department": "water", "text": reply})
    api.ok("agent1", f"/api/cases/{case_id}/visit", {"reached": True, "solved": True, "satisfied": True})


def test_closure_carries_the_departments_reply_once(api, outbox):
    case_id = intake(api)["case_id"]
    close_with_reply(api, case_id, "已抢修管道，今日18时前恢复供水。")
    messages = {m["notice"]: m for m in outbox.messages(case_id)}
    assert set(messages) == {"intake", "closure"}
    assert "已抢修管道，今日18时前恢复供水。" in messages["closure"]["text"]
    assert messages["closure"]["message_id"] == f"{case_id}/closure"
    api.ok("boss", f"/api/cases/{case_id}/remark", {"text": "回访录音已归档"})
    assert len(outbox.messages(case_id)) == 2


def test_a_long_reply_is_cut_to_the_segment_limit(api):
    outbox = attach_notices(api.casework, sms_section(max_segments=3), line="12345")
    case_id = intake(api)["case_id"]
    close_with_reply(api, case_id, "可携带身份证到政务服务中心办理。" * 60)
    closure = next(m for m in outbox.messages(case_id) if m["notice"] == "closure")
    assert closure["segments"] == 3 and "…" in closure["text"]


def test_a_withdrawn_case_gets_the_closure_without_a_reply(api, outbox):
    case_id = intake(api)["case_id"]
    api.ok("boss", f"/api/cases/{case_id}/close", {"reason": "withdrawn"})
    closure = next(m for m in outbox.messages(case_id) if m["notice"] == "closure_no_reply")
    assert closure["message_id"] == f"{case_id}/closure" and "答复" not in closure["text"]


def test_a_refused_case_change_queues_nothing(api, outbox):
    case_id = intake(api)["case_id"]
    reply = api.post("agent1", f"/api/cases/{case_id}/close", {"reason": "satisfied"})  # illegal while open
    assert reply.status_code >= 400
    assert [m["notice"] for m in outbox.messages(case_id)] == ["intake"]


def _at(day: str, clock: str) -> float:
    return dt.datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=TZ).timestamp()


@pytest.mark.parametrize(("now", "expected"), [
    (("2026-11-16", "20:59:59"), ("2026-11-16", "20:59:59")),
    (("2026-11-16", "21:00:00"), ("2026-11-17", "08:00:00")),
    (("2026-11-17", "03:10:00"), ("2026-11-17", "08:00:00")),
    (("2026-11-17", "08:00:00"), ("2026-11-17", "08:00:00")),
])
def test_quiet_hours_in_the_centers_time_zone(now, expected):
    hours = sms_section(quiet_hours="21:00-08:00").sending_hours("Asia/Shanghai")
    assert hours.next_open(_at(*now)) == _at(*expected)
    assert sms_section(quiet_hours=None).sending_hours("Asia/Shanghai") is None


def test_a_night_intake_waits_for_the_morning(api, outbox):
    api.clock.now = _at("2026-11-16", "23:30:00")
    case_id = intake(api)["case_id"]
    [message] = outbox.messages(case_id)
    assert message["not_before"] == _at("2026-11-17", "08:00:00")
    assert outbox.due(api.clock.now) == [] and outbox.next_due() == message["not_before"]
