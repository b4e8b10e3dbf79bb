"""The composition root's entry points: flows for a config, and the hand-off to the ACD."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from callcenter.config import load_config
from ivr_flows import FlowError, FlowRun, load_for_config
from ivr_flows import commands as c
from ivr_flows import events as e
from ivr_flows.handoff import call_arrived, caller_details, mask
from ivr_flows.housing_fund import fake_resident_ids
from tests.ivr.driver import Call, only
from tests.ivr.flowtext import load_text


def test_shipped_config_runs_the_shipped_flows(registry):
    cfg = load_config()
    flows = load_for_config(cfg, registry)
    assert {line.flow for line in cfg.lines} <= set(flows)
    assert flows.context.departments == {d.id: d.number for d in cfg.departments}


def test_a_line_naming_an_unknown_flow_is_refused(registry):
    cfg = load_config()
    broken = SimpleNamespace(languages=cfg.languages, default_language=cfg.default_language,
                             queues=cfg.queues, departments=cfg.departments,
                             lines=[SimpleNamespace(number="12366", flow="line_12366")])
    with pytest.raises(FlowError, match="line 12366 runs unknown flow 'line_12366'"):
        load_for_config(broken, registry)


def test_enqueue_becomes_call_arrived_with_the_arrival_time(flows):
    run = FlowRun(flows, "line_12345", call_id="c-1")
    run.handle(e.CallStarted(line="12345"), 100.0)
    run.handle(e.DigitPressed("9"), 101.0)
    out = run.handle(e.DigitPressed("4"), 103.0)
    assert out[:2] == [c.StopPlaying(2), c.SetLanguage("fr")]
    enqueue = out[-1]
    arrived = call_arrived(enqueue, run)
    assert (arrived.call_id, arrived.queue, arrived.language) == ("c-1", "fr-general", "fr")
    assert (arrived.arrived_at, arrived.line) == (100.0, "12345")
    assert arrived.requirements is None


def test_caller_details_carry_the_path_and_the_id_masked_but_its_last_four(flows, registry):
    """The 12329 caller types their ID, hears the balance, then asks for an agent: the screen
    pop gets the nodes they went through and the ID with only its last 4 characters."""
    id_number = fake_resident_ids(1, seed=7)[0]
    call = Call(flows, "line_12329", call_id="c-2")
    call.start(line="12329")
    call.press("1", 2.0)
    call.prompt_done(10.0)
    query = only(call.press_all(id_number.replace("X", "*"), 11.0), c.RunQuery)
    call.send(registry.answer(query), 17.0)  # not in the sample accounts: not found
    only(call.press("0", 18.0), c.Enqueue)
    details = caller_details(call.run, "13800138000")
    assert details.call_id == "c-2" and details.caller == "13800138000"
    assert details.path == ("main_menu", "enter_id", "lookup", "not_found", "agent")
    assert details.collected == (("id_number", "*" * 14 + id_number[-4:]),)
    assert id_number[:14] not in repr(details)


PLAIN_COLLECT = """
flow: plain
language: zh
start: ask
nodes:
  ask: {kind: collect, prompts: [enter_id], into: account, min_length: 3, max_length: 18,
        invalid: retry, timeout: retry, failure: agent, next: ask_more}
  ask_more: {kind: collect, prompts: [enter_id], into: extension, min_length: 3, max_length: 18,
             invalid: retry, timeout: retry, failure: agent, next: agent}
  agent: {kind: route, queue: zh-general}
"""


def test_an_id_number_is_masked_whatever_the_node_calls_it(tmp_path, context, catalogue):
    flows = load_text(tmp_path, context, catalogue, plain=PLAIN_COLLECT)
    call = Call(flows, "plain", call_id="c-3")
    call.start()
    id_number = fake_resident_ids(2, seed=7)[1]
    call.press_all(id_number.replace("X", "*") + "#", 1.0)
    call.press_all("8021#", 9.0)
    details = caller_details(call.run, None)
    assert details.collected == (("account", mask(id_number)), ("extension", "8021"))
    assert mask(id_number) == "*" * 14 + id_number[-4:]
    assert details.caller == "" and mask("12") == "12"
