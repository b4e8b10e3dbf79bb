"""The composition root's entry points: flows for a config, and the hand-off to the ACD."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from callcenter.config import load_config
from ivr_flows import FlowError, FlowRun, load_for_config
from ivr_flows import commands as c
from ivr_flows import events as e
from ivr_flows.handoff import call_arrived


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
