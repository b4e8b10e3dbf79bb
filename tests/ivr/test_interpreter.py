"""Interpreter behaviour on small hand-made flows: transfer, sub-flows, errors, guards."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr_flows import commands as c
from ivr_flows import events as e
from ivr_flows.interpreter import FlowRun, IllegalEvent
from ivr_flows.timing import PromptDurations
from tests.ivr.driver import Call, only
from tests.ivr.flowtext import load_text

MAIN = """
flow: main
language: zh
start: menu
fallback: safe
nodes:
  menu:
    kind: menu
    prompts: [menu_12329]
    choices: {"1": dept, "2": sub, "3": broken, "4": ask_query}
    tries: 2
    invalid: retry
    timeout: retry
    failure: safe
  dept:
    kind: transfer
    prompts: [transferring]
    department: market-regulation
  sub: {kind: subflow, flow: helper, next: after_sub}
  after_sub:
    kind: route
    queue: zh-consumer
    priority: 3
    requirements: {consumer-law: 2}
    service: consumer
  broken:
    kind: play
    prompts: [balance_is, {say: never_set, as: amount}]
    next: safe
  ask_query:
    kind: query
    plugin: housing_fund_balance
    inputs: {id_number: preset}
    outcomes: {found: safe, error: safe}
  safe: {kind: route, queue: zh-general}
"""

HELPER = """
flow: helper
start: note
nodes:
  note: {kind: set, variables: {visited: "yes"}, next: tell}
  tell: {kind: play, prompts: [please_hold], next: back}
  back: {kind: return}
"""


@pytest.fixture
def small(tmp_path, context, catalogue):
    return load_text(tmp_path, context, catalogue, main=MAIN, helper=HELPER)


def test_transfer_dials_the_configured_number_only(small, context):
    call = Call(small, "main")
    call.start()
    out = call.press("1", 1.0)
    assert call.played(out) == [("transferring", "zh")]
    call.press_all("13800138000", 1.5)  # keys during a non-interruptible prompt are ignored
    out = call.prompt_done(5.0)
    assert out == [c.Transfer("market-regulation", context.departments["market-regulation"])]
    assert call.run.outcome.kind == "transferred"


def test_subflow_returns_to_the_parent_node(small):
    call = Call(small, "main")
    call.start()
    out = call.press("2", 1.0)
    assert call.played(out) == [("please_hold", "zh")]
    out = call.prompt_done(2.0)
    assert out == [c.Enqueue("zh-consumer", "zh", 3, {"consumer-law": 2}, "consumer")]
    assert call.run.variables["visited"] == "yes"
    assert call.run.path == ["main:menu", "main:sub", "helper:note", "helper:tell",
                             "helper:back", "main:after_sub"]


def test_a_fault_inside_a_node_ends_in_the_fallback_queue(small):
    call = Call(small, "main")
    call.start()
    out = call.press("3", 1.0)
    assert only(out, c.Enqueue).queue == "zh-general"
    assert "never_set" in call.run.errors[0]


def test_query_arguments_come_from_variables(small):
    call = Call(small, "main", variables={"preset": "110105194912310021"})
    call.start()
    query = only(call.press("4", 1.0), c.RunQuery)
    assert query.arguments == {"id_number": "110105194912310021"}
    out = call.send(e.QueryAnswered(query.query_id, "weird-outcome"), 2.0)
    assert only(out, c.Enqueue).queue == "zh-general"  # unknown outcome -> error branch


def test_missing_prompt_finished_is_covered_by_the_guard(small, durations):
    run = FlowRun(small, "main", durations=durations, prompt_guard=2.0)
    out = run.handle(e.CallStarted(), 0.0)
    expected = durations.total(only(out, c.PlayPrompts).items) + 2.0
    assert run.next_deadline() == pytest.approx(expected)
    assert run.on_timer(expected - 0.01) == []
    assert run.on_timer(expected) == []  # treated as finished: now waiting for a key
    assert run.next_deadline() == pytest.approx(expected + 5.0)


def test_events_before_the_call_started_are_illegal(small):
    run = FlowRun(small, "main")
    with pytest.raises(IllegalEvent):
        run.handle(e.DigitPressed("1"), 0.0)
    assert run.path == [] and run.next_deadline() is None
    assert run.handle(e.CallStarted(), 1.0)
    with pytest.raises(IllegalEvent):
        run.handle(e.CallStarted(), 1.0)


def test_timer_event_is_the_same_as_on_timer(small):
    call = Call(small, "main")
    call.start()
    call.prompt_done(2.0)
    assert call.run.handle(e.TimerFired(), 6.9) == []  # not due yet
    out = call.run.handle(e.TimerFired(), 7.0)
    assert call.played(out)[0] == ("no_input", "zh")


def test_prompt_durations_add_up_the_words_of_a_reading(catalogue):
    table = PromptDurations({("digit_1", "zh"): 0.5, ("num_x10", "zh"): 0.3, ("yuan", "zh"): 0.4})
    assert table(c.Number("11", "amount", "zh")) == pytest.approx(0.3 + 0.5 + 0.4)  # 十一元
    assert table(c.Number("11", "digits", "zh")) == pytest.approx(0.5 * 2)


KEYS = st.sampled_from(list("0123456789*#"))
STEP = st.one_of(
    st.tuples(st.just("key"), KEYS),
    st.tuples(st.just("done"), st.none()),
    st.tuples(st.just("wait"), st.floats(0.1, 20)),
    st.tuples(st.just("answer"), st.sampled_from(["found", "not_found", "error"])),
)
TERMINAL = (c.Enqueue, c.Transfer, c.HangUp, c.ReturnControl)


@settings(max_examples=150, deadline=None)
@given(
    flow=st.sampled_from(["line_12345", "line_12315", "line_12329", "survey", "queue_busy"]),
    steps=st.lists(STEP, max_size=40),
)
def test_no_dead_air_and_one_ending(flows, flow, steps):
    run = FlowRun(flows, flow)
    now = 0.0
    out = run.handle(e.CallStarted(), now)
    for kind, arg in steps:
        if run.finished:
            break
        assert run.next_deadline() is not None, "waiting with nothing armed: dead air"
        if kind == "key":
            out += run.handle(e.DigitPressed(arg), now)
        elif kind == "done" and run.playing is not None:
            out += run.handle(e.PromptFinished(run.playing), now)
        elif kind == "wait":
            now += arg
            while not run.finished and run.next_deadline() <= now:
                out += run.on_timer(run.next_deadline())
        elif kind == "answer":
            queries = [x for x in out if isinstance(x, c.RunQuery)]
            if queries:
                out += run.handle(e.QueryAnswered(queries[-1].query_id, arg, {"balance": "1"}), now)
    endings = [x for x in out if isinstance(x, TERMINAL)]
    assert len(endings) == (1 if run.finished and run.outcome.kind != "caller_hung_up" else 0)
    assert run.errors == []



ENTRY = """
flow: entry
language: zh
start: code
nodes:
  code:
    kind: collect
    prompts: [enter_id]
    into: code
    min_length: 4
    max_length: 4
    terminator: "#"
    inter_digit: 5
    invalid: retry
    timeout: retry
    failure: bye
    next: after
  after:
    kind: menu
    prompts: [after_balance]
    choices: {"1": code, "#": bye, "0": safe}
    invalid: retry
    timeout: bye
    failure: bye
  safe: {kind: route, queue: zh-general}
  bye: {kind: hangup, prompts: [goodbye]}
"""


@pytest.fixture
def entry(tmp_path, context, catalogue):
    return load_text(tmp_path, context, catalogue, entry=ENTRY)


def test_terminator_right_after_a_full_length_entry_belongs_to_the_entry(entry):
    call = Call(entry, "entry")
    call.start()
    call.prompt_done(3.0)
    out = call.press_all("1234", 4.0)  # complete on the 4th key
    assert call.played(out) == [("after_balance", "zh")] and call.run.variables["code"] == "1234"
    assert call.press("#", 5.5) == []  # the "then #" of "enter the code, then #"
    assert call.run.node == "after" and call.run.playing is not None
    out = call.press("#", 7.0)  # a second '#' is the menu's
    assert call.played(out) == [("goodbye", "zh")]


def test_a_late_terminator_or_another_key_first_goes_to_the_menu(entry):
    late = Call(entry, "entry")
    late.start()
    late.prompt_done(3.0)
    late.press_all("1234", 4.0)
    out = late.press("#", 4.9 + 5.1)  # after the entry's inter-digit time: the menu's key
    assert late.played(out) == [("goodbye", "zh")]
    other = Call(entry, "entry")
    other.start()
    other.prompt_done(3.0)
    other.press_all("1234", 4.0)
    other.press("1", 5.0)  # back to the entry: the next '#' is not swallowed twice
    out = other.press("#", 5.5)  # '#' on an empty entry: too short, asks again
    assert other.played(out)[0] == ("invalid_input", "zh")


def test_terminator_after_a_short_entry_still_ends_it(entry):
    call = Call(entry, "entry")
    call.start()
    call.prompt_done(3.0)
    out = call.press_all("12#", 4.0)
    assert call.played(out)[0] == ("invalid_input", "zh") and call.run.node == "code"
