"""Simulated callers walk their line's real flow: the queue and the IVR time come from it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml

from ivr_flows.housing_fund import SAMPLE_CSV
from ivr_flows.time_model import replay
from simulator.engine import simulate
from simulator.ivr_walk import FlowWalker
from simulator.metrics import summarize
from simulator.scenario import ScenarioError, load_scenario, scenario_from_dict

FOUND_ID = SAMPLE_CSV.read_text().splitlines()[1].split(",")[0]  # an account in the sample data


def scenario(**changes) -> dict:
    data = {
        "duration_hours": 2,
        "arrivals": [{"name": "zh", "line": "12345", "language": "zh", "calls_per_hour": 60}],
        "handle_time": {"distribution": "exponential", "mean_seconds": 120},
        "staffing": [{"count": 6, "skills": {"zh": 4, "general": 3, "consumer": 4,
                                            "housing_fund": 4, "en": 5, "ja": 5, "ko": 5,
                                            "fr": 5, "de": 5, "ru": 5}}],
    }
    data.update(changes)
    return data


def arrivals(*streams: tuple[str, str]) -> list[dict]:
    return [{"line": line, "language": lang, "calls_per_hour": 30} for line, lang in streams]


def test_the_queue_comes_from_the_flow_not_from_the_config() -> None:
    """12315's flow has no language menu: its English callers wait in zh-consumer (the config
    used to send them to en-general); 12345's press 9 and 1 by themselves."""
    loaded = scenario_from_dict(scenario(arrivals=arrivals(("12315", "en"), ("12345", "en"),
                                                           ("12345", "ko"))))
    result = simulate(loaded, seed=1)
    queues = Counter((result.stream_of_call[r.call_id], r.queue, r.language)
                     for r in result.records)
    assert set(queues) == {(0, "zh-consumer", "zh"), (1, "en-general", "en"),
                           (2, "ko-general", "ko")}


def test_every_language_reaches_its_queue_through_the_12345_menu() -> None:
    langs = ("zh", "en", "ja", "ko", "fr", "de", "ru")
    loaded = scenario_from_dict(scenario(arrivals=arrivals(*(("12345", x) for x in langs))))
    result = simulate(loaded, seed=2)
    reached = {(result.stream_of_call[r.call_id], r.queue) for r in result.records}
    assert reached == {(i, f"{lang}-general") for i, lang in enumerate(langs)}
    walks = {(result.stream_of_call[i], round(w.seconds, 6)) for i, w in enumerate(result.walks)}
    assert len(walks) == len(langs)  # one fixed way per language: the walk is the flow's
    zh_seconds = next(s for i, s in walks if i == 0)
    assert all(s > zh_seconds for i, s in walks if i)  # 9, the language menu, a key


def test_self_service_callers_never_reach_the_acd_and_are_counted_apart() -> None:
    """12329: 1, a known ID number, then 9 after the balance: the flow says goodbye."""
    data = scenario(arrivals=arrivals(("12329", "zh")), ivr={"choices": {
        "line_12329.main_menu": {"1": 1.0},
        "line_12329.enter_id": {FOUND_ID: 0.5, "110105199001011232": 0.5},  # 2nd: no account
        "line_12329.balance": {"9": 1.0},
        "line_12329.not_found": {"0": 1.0},
    }})
    loaded = scenario_from_dict(data)
    result = simulate(loaded, seed=3)
    outcomes = Counter((w.outcome, w.node if w.arrived is None else w.arrived.queue)
                       for w in result.walks)
    assert set(outcomes) == {("self_service", "line_12329.goodbye"),
                             ("enqueued", "zh-housing-fund")}
    assert 0.3 < outcomes["self_service", "line_12329.goodbye"] / len(result.walks) < 0.7
    served = {i for i, w in enumerate(result.walks) if w.outcome == "self_service"}
    assert not served & {r.call_id for r in result.records}
    assert result.unfinished == 0
    ivr = summarize(result, loaded)["ivr"]
    assert ivr["overall"]["self_service"] == len(served) > 0
    assert ivr["overall"]["enqueued"] == len(result.records)
    assert ivr["overall"]["callers"] == len(result.walks)


def test_the_walk_times_are_the_interpreters() -> None:
    """1, a known ID number, silence at the balance: the walk takes what the IVR time model's
    replay of the same keys at the same moments takes, and ends at the same node."""
    reaction, digit, query = 1.0, 0.5, 0.3
    data = scenario(arrivals=arrivals(("12329", "zh")), ivr={
        "reaction_seconds": reaction, "digit_seconds": digit, "query_seconds": query,
        "choices": {"line_12329.main_menu": {"1": 1.0}, "line_12329.enter_id": {FOUND_ID: 1.0},
                    "line_12329.balance": {"silence": 1.0}}})
    loaded = scenario_from_dict(data)
    walk = simulate(loaded, seed=4).walks[0]
    ivr = loaded.ivr_setup()
    said = {key: ivr.durations.seconds[(key, "zh")] for key in ("welcome_12329", "menu_12329",
                                                                 "enter_id")}
    pressed_1 = said["welcome_12329"] + said["menu_12329"] + reaction
    typing = pressed_1 + said["enter_id"] + reaction
    script = [(pressed_1, "1")] + [(typing + digit * i, key) for i, key in enumerate(FOUND_ID)]
    model = replay(ivr.flows, "line_12329", script, durations=ivr.durations,
                   plugins=ivr.plugins, query_latency=query, line="12329")
    assert model.outcome.kind == "hung_up" and model.outcome.node == "goodbye"
    assert (walk.outcome, walk.node) == ("self_service", "line_12329.goodbye")
    assert walk.seconds == pytest.approx(model.seconds, abs=1e-9)
    assert walk.seconds > typing + digit * 17 + query + 6  # the balance read, then its wait


def test_callers_hang_up_in_the_ivr_when_their_patience_runs_out() -> None:
    loaded = scenario_from_dict(scenario(ivr={"patience": {"distribution": "fixed",
                                                            "mean_seconds": 2}}))
    result = simulate(loaded, seed=5)
    assert result.walks and all(w.outcome == "abandoned" and w.seconds == 2
                                for w in result.walks)
    assert result.records == [] and result.unfinished == 0
    assert summarize(result, loaded)["ivr"]["overall"]["abandoned"] == len(result.walks)


def test_remembered_walks_are_the_walks_the_interpreter_gives() -> None:
    """Each caller anew through the interpreter, or from the walks remembered: the same."""
    data = scenario(arrivals=arrivals(("12329", "zh"), ("12345", "en"), ("12345", "zh")), ivr={
        "choices": {"line_12329.main_menu": {"1": 0.5, "0": 0.3, "silence": 0.2},
                    "line_12329.enter_id": {FOUND_ID: 0.6, "123": 0.2, "*": 0.2},
                    "line_12329.balance": {"1": 0.3, "9": 0.5, "0": 0.2},
                    "line_12329.not_found": {"1": 0.5, "0": 0.5}}})
    loaded = scenario_from_dict(data)
    setup = loaded.ivr_setup()
    lines = {line.number: line.flow for line in loaded.config.lines}
    streams = [("12329", "zh"), ("12345", "en"), ("12345", "zh")] * 100

    def walker() -> FlowWalker:
        return FlowWalker(setup, loaded.scenario.ivr, lines, "zh", np.random.default_rng(9))

    remembering, fresh = walker(), walker()
    kept = [remembering.walk(*s) for s in streams]
    anew = []
    for s in streams:
        fresh._walks.clear()  # noqa: SLF001 - forget, so that every caller runs the flow
        fresh._choices.clear()  # noqa: SLF001
        anew.append(fresh.walk(*s))
    assert kept == anew
    assert fresh.runs == len(streams) and remembering.runs < len(streams) / 4
    assert len({(w.outcome, w.node) for w in kept}) >= 4  # the choices did vary the walks


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize(("choices", "message"), [
    ({"line_12329.nowhere": {"1": 1.0}}, "flow line_12329 has no node 'nowhere'"),
    ({"line_12329.lookup": {"1": 1.0}}, "node 'lookup' is a query node: callers choose only "
                                        "at menu, collect, survey and callback nodes"),
    ({"line_99.main_menu": {"1": 1.0}},
     "unknown flow 'line_99'; known: line_12315, line_12329, line_12345"),
    ({"line_12329.main_menu": {"12": 1.0}}, "a menu node takes one key per choice"),
])
def test_choices_name_a_node_that_asks(tmp_path: Path, choices: dict, message: str) -> None:
    path = write(tmp_path, scenario(ivr={"choices": choices}))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    where = next(iter(choices))
    assert str(info.value) == f"{path}:{line_of(path, where)}: ivr.choices.{where}: {message}"


@pytest.mark.parametrize(("options", "message"), [
    ({"1": 0.5, "0": 0.4}, "probabilities add up to 0.9, not 1"),
    ({"1": 0.5, "x": 0.5}, "'x' is neither phone keys"),
])
def test_choice_odds_and_keys_are_checked(tmp_path: Path, options: dict, message: str) -> None:
    path = write(tmp_path, scenario(ivr={"choices": {"line_12329.main_menu": options}}))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value).startswith(f"{path}:{line_of(path, 'main_menu')}: "
                                      f"ivr.choices.line_12329.main_menu: {message}")


def test_a_sampled_ivr_time_is_refused_with_the_reason(tmp_path: Path) -> None:
    path = write(tmp_path, scenario(ivr_time={"distribution": "fixed", "mean_seconds": 20}))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value).startswith(f"{path}:{line_of(path, 'ivr_time')}: ivr_time: the time "
                                      f"in the IVR comes from walking the line's flow")


def test_audio_durations_asked_for_but_not_built(tmp_path: Path) -> None:
    path = write(tmp_path, scenario(ivr={"prompts": "audio", "prompts_dir": "none-here"}))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert f"{path}:{line_of(path, 'prompts:')}: ivr.prompts: no built prompts" in str(info.value)


def built(tmp_path: Path) -> Path:
    """A prompts folder whose manifest says the 12345 greeting lasts 30 s."""
    folder = tmp_path / "prompts"
    folder.mkdir()
    (folder / "manifest.json").write_text(
        '{"sample_rate": 8000, "prompts": [{"key": "welcome_12345", "language": "zh", '
        '"file": "zh/welcome_12345.wav", "seconds": 30.0}]}')
    return folder


def test_built_prompts_give_the_durations_and_the_output_says_so(tmp_path: Path) -> None:
    folder = built(tmp_path)
    estimated = scenario_from_dict(scenario())
    audio = scenario_from_dict(scenario(ivr={"prompts": "audio", "prompts_dir": str(folder)}))
    assert estimated.ivr.prompts.startswith("estimate")
    assert audio.ivr.prompts.startswith(f"audio ({folder / 'manifest.json'}: 1 prompts")
    first = simulate(estimated, seed=1).walks[0].seconds
    longer = simulate(audio, seed=1).walks[0].seconds
    welcome = estimated.ivr.durations.seconds[("welcome_12345", "zh")]
    assert longer - first == pytest.approx(30.0 - welcome)


def test_a_streams_priority_raises_the_flows() -> None:
    data = scenario(arrivals=[{"line": "12345", "language": "zh", "calls_per_hour": 30,
                               "priority": 7},
                              {"line": "12345", "language": "zh", "calls_per_hour": 30}])
    result = simulate(scenario_from_dict(data), seed=6)
    priority = {(result.stream_of_call[r.call_id], r.priority) for r in result.records}
    assert (0, 7) in priority and (1, 0) in priority  # escalation may add 1 (zh-general)
    assert all(p >= 7 if stream == 0 else p <= 1 for stream, p in priority)


def test_the_staffing_check_follows_the_flow(tmp_path: Path) -> None:
    """English callers of 12315 wait in zh-consumer: English seats alone cannot serve them."""
    data = scenario(arrivals=arrivals(("12315", "en")),
                    staffing=[{"count": 2, "skills": {"en": 5}}])
    path = write(tmp_path, data)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert ("queues[zh-consumer]: no agent has the skills" in str(info.value)
            and "calls of arrivals[0] (line 12315, en) reach it through flow line_12315"
            in str(info.value))


def test_a_live_runs_prediction_times_the_ivr_by_the_engines_prompts(tmp_path: Path) -> None:
    from simulator.loadtest.predict import with_built_prompts

    loaded = scenario_from_dict(scenario())
    predicted = with_built_prompts(loaded, built(tmp_path))
    assert predicted.ivr.prompts.startswith("audio") and loaded.ivr.prompts.startswith("estimate")
    assert simulate(predicted, seed=1).walks[0].seconds > 30
