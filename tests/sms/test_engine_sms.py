"""The engine with an ``sms:`` section: ``serve`` refuses to start without the SMPP password;
the composition root queues notices with case changes and sends them beside the case timer."""

from __future__ import annotations

import asyncio

from click.testing import CliRunner
from prometheus_client import generate_latest

from callcenter.casework.accounts import User
from callcenter.cli import main
from callcenter.config import load_config
from callcenter.runtime.app import build_engine, start_sms
from tests.sms.smsc import FakeSmsc
from tests.sms.test_sender import until
from tests.sms.test_sms_config import folder_with

SECTION = 'sms:\n  smsc: "127.0.0.1:{port}"\n  system_id: hotline\n  quiet_hours: null\n'


def test_serve_refuses_to_start_without_the_smpp_password(tmp_path, monkeypatch):
    monkeypatch.delenv("CALLCENTER_SMPP_PASSWORD", raising=False)
    folder = folder_with(tmp_path, SECTION.format(port=2775))
    result = CliRunner().invoke(main, ["serve", "--config", str(folder), "--db", f"sqlite:///{tmp_path}/r.db",
                                       "--sip", "off", "--api", "off", "--agi", "off"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert ("refusing to start: sms: SMPP password missing: set CALLCENTER_SMPP_PASSWORD or put a secrets "
            "file (--secrets)") in result.output
    assert not (tmp_path / "r.db").exists()


def test_the_secrets_file_line_and_the_8_character_limit(tmp_path):
    from callcenter.sms.sender import MissingSmppSecret, smpp_password

    sms = load_config(folder_with(tmp_path, SECTION.format(port=2775))).sms
    secrets = tmp_path / "secrets"
    secrets.write_text("1001 = seat-password\nsmpp = s3cret\n")
    secrets.chmod(0o600)
    assert smpp_password(sms, secrets, environ={}) == "s3cret"
    assert smpp_password(sms, secrets, environ={"CALLCENTER_SMPP_PASSWORD": "fromenv"}) == "fromenv"
    try:
        smpp_password(sms, None, environ={"CALLCENTER_SMPP_PASSWORD": "much-too-long"})
    except MissingSmppSecret as exc:
        assert "at most 8" in str(exc)
    else:
        raise AssertionError("a 13-character SMPP password was taken")


def test_the_engine_sends_the_intake_notice_and_records_its_delivery(tmp_path):
    async def scenario():
        smsc = FakeSmsc()
        port = await smsc.start()
        config = load_config(folder_with(tmp_path, SECTION.format(port=port)))
        engine = build_engine(config, db_url=f"sqlite:///{tmp_path}/engine.db")
        engine.sms_password = "s3cret"
        sender = start_sms(engine)
        assert sender is not None
        await until(lambda: sender.bound.is_set())
        service = engine.casework.service
        opened = await asyncio.to_thread(service.open, User("agent1", "agent"), {
            "channel": "phone", "category": "0201", "text": "小区停水", "caller_number": "+8613900000001",
            "language": "en"})
        case_id = opened.case.case_id
        await until(lambda: [m["status"] for m in engine.sms_outbox.messages(case_id)] == ["delivered"])

        def history():
            return [e.data for e in engine.casework.store.history(case_id) if e.kind == "Notified"]

        await until(lambda: len(history()) == 2)  # the history entry follows the outbox's commit
        history = history()
        sender.poke()  # the pump loads again and counts the outbox
        await until(lambda: sender.outbox_counts.get("delivered") == 1)
        metrics = generate_latest(engine.registry).decode()
        await sender.close()
        await smsc.stop()
        engine.close()
        return smsc, case_id, history, metrics

    smsc, case_id, history, metrics = asyncio.run(scenario())
    assert "callcenter_sms_link_up 1.0" in metrics
    assert 'callcenter_sms_events_total{kind="accepted"} 1.0' in metrics
    assert 'callcenter_sms_outbox{status="delivered"} 1.0' in metrics
    [sub] = smsc.submitted
    assert sub.destination == "8613900000001" and sub.source == "12345" and sub.data_coding == 0
    assert sub.text.startswith(f"[12345] Your request is registered as case {case_id}.")
    assert [h["status"] for h in history] == ["sent", "delivered"]
    assert {h["actor"]["role"] for h in history} == {"system"}
