"""Every path through every shipped line flow, walked by call objects with the real ACD.

At each point where a flow waits for the caller, every choice is tried (each menu key, a
key that is no choice, silence; for an ID entry a known, an unknown and a malformed number and
the escape key), and every waiting point is also where a caller hangs up. Each path must end
in a queue the config has, or in a closed record, with the records consistent.
"""

from __future__ import annotations

import csv

import pytest

from acd.events import CallArrived, CallerHungUp
from calls import commands as c
from calls import events as e
from calls.leg import State
from ivr_flows.housing_fund import SAMPLE_CSV, fake_resident_ids
from ivr_flows.model import CallbackNode, CollectNode, MenuNode, SurveyNode
from ivr_flows.plugins import PluginRegistry
from tests.calls.world import World

KEYS = "0123456789*#"


def _ids() -> tuple[str, str]:
    with SAMPLE_CSV.open(encoding="utf-8") as f:
        known = [row["id_number"] for row in csv.DictReader(f)]
    unknown = next(i for i in fake_resident_ids(50, seed=7) if i not in known)
    return known[0], unknown


KNOWN_ID, UNKNOWN_ID = _ids()


def options(node) -> list[str]:
    """What a caller may do where ``node`` waits: key strings, or "" for silence."""
    if isinstance(node, MenuNode):
        keys = sorted(node.choices)
        return [*keys, next(k for k in KEYS if k not in node.choices), ""]
    if isinstance(node, CollectNode):
        out = [KNOWN_ID, UNKNOWN_ID, "123456789012345678", "12", ""]
        return out + ([node.escape_key] if node.escape_key else [])
    if isinstance(node, SurveyNode):
        return [*(str(s) for s in range(node.lowest, node.highest + 1)), "0", ""]
    if isinstance(node, CallbackNode):
        return [node.accept, next(k for k in KEYS if k != node.accept), ""]
    raise AssertionError(f"no caller choices for {node!r}")


def act(world: World, call, keys: str) -> None:
    if keys:
        world.keys(call, keys, at=world.now + 0.5)
    else:
        world.advance(call.next_deadline())


def settle(world: World, call) -> None:
    """Let prompts play out until the flow waits for the caller or the IVR is over."""
    for _ in range(100):
        if call.state is not State.IVR or world.playing(call) is None:
            return
        world.finish_play(call, at=world.now + 1.0)
    raise AssertionError("the flow keeps playing")


def node_of(world: World, call):
    flow, _, name = call.run.path[-1].partition(":")
    return world.flows[flow].nodes[name]


def replay(world: World, line: str, actions: tuple[str, ...]):
    call = world.arrive(line)
    settle(world, call)
    for keys in actions:
        act(world, call, keys)
        settle(world, call)
    return call


def explore(world: World, line: str) -> list[tuple[tuple[str, ...], object, bool]]:
    """(actions, call, hung up by the caller) for every path, each waiting point once."""
    paths = []
    seen: set[tuple[str, int]] = set()
    todo: list[tuple[str, ...]] = [()]
    while todo:
        actions = todo.pop()
        call = replay(world, line, actions)
        hung_up = call.state is not State.ENDED
        if call.state is State.IVR:
            point = (call.run.path[-1], call.run._attempt)
            if point not in seen:
                seen.add(point)
                todo += [(*actions, keys) for keys in options(node_of(world, call))]
        if hung_up:
            world.send(call, e.CallerGone("caller BYE"), at=world.now + 1.0)
        paths.append((actions, call, hung_up))
    return paths


@pytest.fixture(scope="module")
def world():
    return World()


def _broken(arguments):
    raise OSError("the housing fund's database is down")


@pytest.fixture(scope="module")
def walked(world):
    """Every path of every line, and 12329's again with its plug-in failing."""
    paths = {line: explore(world, line) for line in world.lines}
    registry = PluginRegistry()
    registry.register("housing_fund_balance", _broken)
    paths["12329"] += explore(World(registry=registry), "12329")
    return paths


@pytest.mark.parametrize("line", ["12345", "12315", "12329"])
def test_every_node_of_the_line_flow_is_reached(world, walked, line):
    flow = world.lines[line]
    reached = {step for _, call, _ in walked[line] for step in call.ivr.path}
    assert reached == {f"{flow}:{name}" for name in world.flows[flow].nodes}


@pytest.mark.parametrize("line", ["12345", "12315", "12329"])
def test_every_path_ends_queued_or_closed_with_one_record(world, walked, line):
    queues = {q.name for q in world.config.queues}
    for actions, call, hung_up in walked[line]:
        where = f"{line} {actions}"
        assert call.state is State.ENDED and call.next_deadline() is None, where
        assert len(world.entries(call, c.Opened)) == 1, where
        closed = world.entries(call, c.Closed)
        arrived = world.acd_events(call, CallArrived)
        if arrived:
            assert arrived[0].queue in queues and not closed, where
            assert world.record(call).outcome == "abandoned", where
            assert world.acd_events(call)[-1] == CallerHungUp(call.call_id), where
        else:
            assert world.record(call) is None and len(closed) == 1, where
            expected = "ivr_abandoned" if hung_up else "self_service"
            assert closed[0].outcome == expected, where
            assert bool(world.commands(call, c.HangUp)) is not hung_up, where


@pytest.mark.parametrize(("line", "keys", "queue", "language"), [
    ("12345", ("",), "zh-general", "zh"),
    ("12345", ("9", "1"), "en-general", "en"),
    ("12345", ("9", "2"), "ja-general", "ja"),
    ("12345", ("9", "6"), "ru-general", "ru"),
    ("12345", ("9", "0"), "zh-general", "zh"),
    ("12345", ("9", "", ""), "en-general", "en"),
    ("12315", (), "zh-consumer", "zh"),
    ("12329", ("0",), "zh-housing-fund", "zh"),
    ("12329", ("1", "*"), "zh-housing-fund", "zh"),
    ("12329", ("1", UNKNOWN_ID, "0"), "zh-housing-fund", "zh"),
])
def test_paths_reach_their_queue_in_their_language(world, line, keys, queue, language):
    call = replay(world, line, keys)
    arrived = world.acd_events(call, CallArrived)
    assert [(a.queue, a.language, a.line) for a in arrived] == [(queue, language, line)]


def test_a_known_id_hears_its_balance_and_nine_says_goodbye(world):
    call = replay(world, "12329", ("1", KNOWN_ID, "9"))
    queries = world.commands(call, c.RunQuery)
    assert [q.arguments for q in queries] == [{"id_number": KNOWN_ID}]
    assert "balance_is" in world.heard(call) and world.heard(call)[-1] == "goodbye"
    assert world.entries(call, c.Closed)[0].outcome == "self_service"
