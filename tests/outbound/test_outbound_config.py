"""The ``outbound:`` config section and the survey call's mapping of SIP outcomes and keys."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from callcenter.cli import main
from callcenter.config import ConfigError, default_config_path, load_config
from callcenter.config.outbound_section import OutboundSection
from callcenter.runtime.campaigns import gateway_credentials
from callcenter.telephony.outbound_calls import outcome_of
from outbound.model import Answers, CallOutcome, Kind, Mode
from tests.outbound.helpers import local


def test_the_section_becomes_the_dialers_rules() -> None:
    section = OutboundSection(gateway="10.1.2.3:5060", calling_hours="09:00-20:00",
                              do_not_call=["+8613900139000"],
                              return_visits={"max_attempts": 4, "spacing_minutes": {"busy": 5}},
                              missed_calls={"within_minutes": 30, "period_hours": 12})
    rules = section.rules("Asia/Shanghai")
    assert rules.do_not_call == frozenset({"13900139000"})
    assert rules.of(Kind.RETURN_VISIT).max_attempts == 4
    assert rules.of(Kind.RETURN_VISIT).spacing[CallOutcome.BUSY] == 300
    assert rules.of(Kind.MISSED_CALL).window == 1800 and rules.missed_call_period == 12 * 3600
    assert not rules.hours.is_open(local(8, 59)) and rules.hours.is_open(local(9))
    assert section.address() == ("10.1.2.3", 5060)


@pytest.mark.parametrize(("fields", "message"), [
    ({"gateway": "sip:trunk.example"}, "gateway"),
    ({"gateway": "10.1.2.3:99999"}, "gateway"),
    ({"gateway": "10.1.2.3:5060", "calling_hours": "21:00-08:00"}, "none at night"),
    ({"gateway": "10.1.2.3:5060", "do_not_call": ["sip:13800138000@x"]}, "not a mainland phone number"),
    ({"gateway": "10.1.2.3:5060", "return_visits": {"max_attempts": 0}}, "max_attempts"),
    ({"gateway": "10.1.2.3:5060", "password": "in the config"}, "password"),
])
def test_bad_sections_are_refused_naming_the_field(fields: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        OutboundSection(**fields)


def test_trunk_credentials_come_from_the_environment_or_the_secrets_file(tmp_path, monkeypatch) -> None:
    section = OutboundSection(gateway="10.1.2.3:5060", username="hotline")
    monkeypatch.delenv("CALLCENTER_OUTBOUND_PASSWORD", raising=False)
    with pytest.raises(ValueError, match="no password"):
        gateway_credentials(section, None)
    secrets = tmp_path / "secrets"
    secrets.write_text("outbound = trunk-pass\n")
    secrets.chmod(0o600)
    assert gateway_credentials(section, secrets) == ("hotline", "trunk-pass")
    monkeypatch.setenv("CALLCENTER_OUTBOUND_PASSWORD", "env-pass")
    assert gateway_credentials(section, None) == ("hotline", "env-pass")
    assert gateway_credentials(OutboundSection(gateway="10.1.2.3:5060"), None) is None


@pytest.mark.parametrize(("status", "outcome"), [
    (486, CallOutcome.BUSY), (600, CallOutcome.BUSY), (480, CallOutcome.NO_ANSWER),
    (487, CallOutcome.NO_ANSWER), (404, CallOutcome.INVALID), (484, CallOutcome.INVALID),
    (503, CallOutcome.FAILED), (403, CallOutcome.FAILED)])
def test_final_responses_map_to_the_retry_rules(status: int, outcome: CallOutcome) -> None:
    assert outcome_of(status) is outcome


def test_only_both_questions_answered_count_as_reached() -> None:
    assert Answers.of({"solved": 2, "satisfied": 1}) == Answers(solved=False, satisfied=True)
    assert Answers.of({"solved": 1, "satisfied": 2, "score": 4}) == Answers(True, False, 4)
    assert Answers.of({"solved": 1}) is None and Answers.of({}) is None


def _folder(tmp_path, section: str):
    from callcenter.config.loader import default_config_path

    folder = tmp_path / "config"
    folder.mkdir()
    shutil.copy(default_config_path(), folder / "hotline.yaml")
    (folder / "outbound.yaml").write_text(section, encoding="utf-8")
    return folder


def test_config_check_summarises_the_section(tmp_path) -> None:
    folder = _folder(tmp_path, 'outbound:\n  gateway: "10.1.2.3:5060"\n  username: hotline\n'
                               '  do_not_call: ["13800138000"]\n')
    result = CliRunner().invoke(main, ["config", "check", str(folder)])
    assert result.exit_code == 0, result.output
    assert ("outbound: trunk 10.1.2.3:5060 (as hotline, password from $CALLCENTER_OUTBOUND_PASSWORD or "
            "'outbound = ...'), caller ID 12345, calling hours 08:00-21:00 Asia/Shanghai, return visits by "
            "return_visit (at most 3 attempts), missed calls called back within 120 min, once per 24 h, "
            "1 do-not-call numbers") in result.output


def test_config_check_names_the_line_of_a_bad_field(tmp_path) -> None:
    folder = _folder(tmp_path, 'outbound:\n  gateway: "10.1.2.3:5060"\n  calling_hours: "21:00-08:00"\n')
    result = CliRunner().invoke(main, ["config", "check", str(folder)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "outbound.yaml:3: outbound.calling_hours" in result.output


def test_agent_modes_make_agent_tasks_in_their_own_queue() -> None:
    section = OutboundSection(gateway="10.1.2.3:5060", return_visits={"mode": "preview"},
                              revisits={"mode": "progressive"}, agent_calls={"offer_seconds": 90})
    rules = section.rules("Asia/Shanghai")
    visit, revisit = rules.of(Kind.RETURN_VISIT), rules.of(Kind.REVISIT)
    assert visit.mode is revisit.mode is Mode.AGENT and visit.queue == revisit.queue == "outbound-agent"
    assert visit.preview and not revisit.preview
    assert rules.of(Kind.MISSED_CALL).mode is Mode.SURVEY
    queue = section.agent_queue()
    assert queue is not None and queue.requirements == {} and queue.ring_timeout_seconds == 90
    assert OutboundSection(gateway="10.1.2.3:5060").agent_queue() is None


@pytest.mark.parametrize(("fields", "message"), [
    ({"return_visits": {"mode": "robocall"}}, "return_visits.mode"),
    ({"missed_calls": {"mode": "preview"}}, "missed_calls.mode"),
    ({"agent_calls": {"offer_seconds": 1}}, "agent_calls.offer_seconds"),
    ({"agent_calls": {"result_seconds": 0}}, "agent_calls.result_seconds"),
    ({"agent_calls": {"result_seconds": "soon"}}, "agent_calls.result_seconds"),
])
def test_bad_modes_are_refused_naming_the_field(fields: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace(".", r"\.")):
        OutboundSection(gateway="10.1.2.3:5060", **fields)


def test_config_check_refuses_an_agent_queue_that_is_an_inbound_one(tmp_path) -> None:
    source = (tmp_path / "hotline.yaml")
    shipped = (default_config_path()).read_text()
    source.write_text(shipped + '\noutbound:\n  gateway: "10.1.2.3:5060"\n  return_visits: {mode: preview}\n'
                      '  agent_calls: {queue: zh-general, blend_target: 0.99, blend_margin: 0.05}\n')
    with pytest.raises(ConfigError) as caught:
        load_config(source)
    text = str(caught.value)
    assert "outbound.agent_calls.queue" in text and "is an inbound queue" in text
    assert "outbound.agent_calls.blend_margin" in text and "over 1" in text
