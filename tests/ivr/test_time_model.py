"""The IVR time model: flows driven by scripted callers on a virtual clock."""

from __future__ import annotations

import csv

import pytest

from ivr_flows import commands as c
from ivr_flows import events as e
from ivr_flows.commands import Number, Prompt
from ivr_flows.housing_fund import SAMPLE_CSV
from ivr_flows.plugins import PluginRegistry, QueryResult
from ivr_flows.say import number_prompts
from ivr_flows.time_model import HANG_UP, replay


def greeting(durations) -> float:
    return durations(Prompt("welcome_12345", "zh")) + durations(Prompt("other_languages", "en"))


def test_silent_caller_is_queued_after_greeting_and_wait(flows, durations):
    run = replay(flows, "line_12345", durations=durations, start=50.0)
    assert run.outcome.kind == "enqueued"
    assert run.outcome.at == pytest.approx(50.0 + greeting(durations) + 1.5)
    assert run.run.started_at == 50.0


def test_barge_in_cuts_the_prompt_short(flows, durations):
    run = replay(flows, "line_12345", [(0.8, "9"), (2.0, "3")], durations=durations)
    assert run.seconds == pytest.approx(2.0)
    assert [x.item for x in run.timeline if isinstance(x.item, c.StopPlaying)] == [
        c.StopPlaying(1), c.StopPlaying(2)]
    assert not any(isinstance(x.item, e.PromptFinished) for x in run.timeline)
    assert run.commands()[-1] == c.Enqueue("ko-general", "ko", 0, {}, "general")


def test_caller_hanging_up_ends_the_replay(flows, durations):
    run = replay(flows, "line_12329", [(1.0, HANG_UP)], durations=durations)
    assert run.outcome.kind == "caller_hung_up" and run.seconds == 1.0


def test_self_service_query_on_the_virtual_clock(flows, durations, registry):
    with open(SAMPLE_CSV, newline="", encoding="utf-8") as f:
        row = next(csv.DictReader(f))
    keys = [(1.0, "1")] + [(2.0 + i * 0.25, k) for i, k in enumerate(row["id_number"])]
    run = replay(flows, "line_12329", keys, durations=durations, plugins=registry,
                 query_latency=0.4)
    answered = run.first(e.QueryAnswered)
    assert answered.at == pytest.approx(2.0 + 17 * 0.25 + 0.4)
    assert answered.item.values == {"balance": row["balance"]}
    assert run.outcome.kind == "hung_up"  # silence after the balance: goodbye
    amount = Number(row["balance"], "amount", "zh")
    play = next(x.item for x in run.timeline
                if isinstance(x.item, c.PlayPrompts) and amount in x.item.items)
    assert run.outcome.at > answered.at + durations.total(play.items)


def test_failing_plug_in_takes_the_error_branch(flows, durations):
    plugins = PluginRegistry()
    plugins.register("housing_fund_balance", lambda args: 1 / 0)
    keys = [(1.0, "1")] + [(2.0 + i * 0.2, k) for i, k in enumerate("11010519491231002*")]
    run = replay(flows, "line_12329", keys, durations=durations, plugins=plugins)
    assert run.first(e.QueryAnswered).item.outcome == "error"
    assert run.commands()[-1].queue == "zh-housing-fund"


def test_registry_refuses_a_second_plug_in_with_the_same_name():
    registry = PluginRegistry()
    registry.register("x", lambda args: QueryResult("found"))
    with pytest.raises(ValueError, match="already registered"):
        registry.register("x", lambda args: QueryResult("found"))


@pytest.mark.parametrize(("value", "style", "keys"), [  # tausend zweihundertdrei Yuan fünfzig Fen
    ("1203.5", "amount", ["num_x1000", "num_200", "digit_3", "yuan", "num_50", "fen"]),
    ("11010519491231002X", "digits", [f"digit_{d}" for d in "11010519491231002"] + ["letter_x"]),
    ("42", "number", ["num_42"]),
])
def test_numbers_are_read_with_catalogue_prompts(value, style, keys, catalogue):
    prompts = number_prompts(Number(value, style, "de"))
    assert [p.key for p in prompts] == keys
    assert {p.language for p in prompts} == {"de"}
    assert all(p.key in catalogue.texts for p in prompts)
