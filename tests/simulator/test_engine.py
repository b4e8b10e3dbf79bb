"""The simulator loop: reproducibility, conservation, shifts, breaks, IVR, ring and wrap-up."""

from __future__ import annotations

import numpy as np

from ivr_flows.time_model import replay
from simulator.arrivals import PiecewisePoisson
from simulator.engine import on_grid, simulate
from simulator.scenario import scenario_from_dict


def small(**changes) -> dict:
    data = {
        "duration_hours": 3,
        "arrivals": [
            {"line": "12345", "language": "zh", "calls_per_hour": 120},
            {"line": "12345", "language": "en", "calls_per_hour": 10},
        ],
        "handle_time": {"distribution": "exponential", "mean_seconds": 240},
        "patience": {"distribution": "exponential", "mean_seconds": 60},
        "staffing": [{"name": "zh", "count": 8, "skills": {"zh": 3, "general": 2}},
                     {"name": "en", "count": 1, "skills": {"en": 5}}],
    }
    data.update(changes)
    return data


def outcomes(result) -> list[tuple]:
    return [(r.call_id, r.outcome, r.agent_id, round(r.wait, 9)) for r in result.records]


def test_same_seed_same_run_other_seed_other_run() -> None:
    loaded = scenario_from_dict(small())
    first, again = simulate(loaded, seed=7), simulate(loaded, seed=7)
    assert outcomes(first) == outcomes(again)
    assert outcomes(simulate(loaded, seed=8)) != outcomes(first)


def test_every_call_ends_exactly_once() -> None:
    result = simulate(scenario_from_dict(small()), seed=1)
    ids = [r.call_id for r in result.records]
    assert len(ids) == len(set(ids)) == len(result.stream_of_call) - result.unfinished
    assert result.unfinished == 0
    assert {r.outcome for r in result.records} <= {"answered", "abandoned", "overflowed"}
    en = [r for r in result.records if r.language == "en"]
    assert en and all(r.queue == "en-general" for r in en)
    assert all(r.agent_id.startswith("en-") for r in en if r.outcome == "answered")


def test_ivr_ring_and_wrap_up_times_are_applied() -> None:
    data = small(ring_time={"distribution": "fixed", "mean_seconds": 3}, wrap_up_seconds=45)
    loaded = scenario_from_dict(data)
    result = simulate(loaded, seed=2)
    answered = [r for r in result.records if r.outcome == "answered"]
    assert answered
    # The time in the IVR is the flow's: for a Mandarin caller the 12345 greeting, then the
    # menu's wait (no key), as the IVR time model replays it.
    ivr = loaded.ivr_setup()
    greeting = replay(ivr.flows, "line_12345", durations=ivr.durations, line="12345").seconds
    assert greeting > 3
    zh = [r for r in result.records if r.language == "zh"]
    assert zh and all(abs(r.enqueued_at - r.arrived_at - greeting) < 1e-5 for r in zh)
    en = [r for r in result.records if r.language == "en"]
    assert en and all(r.enqueued_at - r.arrived_at > greeting + 3 for r in en)
    assert all(r.wait >= 3 - 1e-5 for r in answered)
    by_agent: dict[str, list] = {}
    for r in sorted(answered, key=lambda r: r.answered_at):
        by_agent.setdefault(r.agent_id, []).append(r)
    gaps = [b.answered_at - 3 - a.ended_at for calls in by_agent.values()
            for a, b in zip(calls, calls[1:], strict=False)]
    assert gaps and min(gaps) >= 45 - 1e-5  # next offer only after wrap-up


def test_agents_take_calls_only_on_shift_and_off_break() -> None:
    data = small(staffing=[
        {"name": "am", "count": 5, "skills": {"zh": 3, "general": 2, "en": 4},
         "shifts": [{"start_hour": 0, "end_hour": 1.5}],
         "breaks": [{"start_hour": 0.5, "minutes": 15, "stagger_minutes": 0}]},
        {"name": "pm", "count": 5, "skills": {"zh": 3, "general": 2, "en": 4},
         "shifts": [{"start_hour": 1.5, "end_hour": 3}]},
    ])
    result = simulate(scenario_from_dict(data), seed=3)
    answered = [r for r in result.records if r.outcome == "answered"]
    am = [r.answered_at for r in answered if r.agent_id.startswith("am-")]
    pm = [r.answered_at for r in answered if r.agent_id.startswith("pm-")]
    assert am and pm
    assert max(am) < 1.5 * 3600 and min(pm) >= 1.5 * 3600
    assert not [t for t in am if 1800 < t < 1800 + 15 * 60]  # the whole group is on a break
    waited = [r for r in result.records if 1800 < r.enqueued_at < 2600]
    assert waited and all(r.outcome == "abandoned" or r.answered_at >= 2700 for r in waited)


def test_a_shift_starts_before_anything_else_at_the_same_instant() -> None:
    """Shifts and breaks come out first at equal times: the minute's sample taken as a shift
    starts already counts the calls its agents took (callers wait for ever, nobody before)."""
    data = small(patience={"distribution": "none"}, staffing=[
        {"name": "pm", "count": 5, "skills": {"zh": 3, "general": 2, "en": 4},
         "shifts": [{"start_hour": 1, "end_hour": 3}]}])
    result = simulate(scenario_from_dict(data), seed=4)
    finished = {r.call_id: r for r in result.records}
    assert sum(r.answered_at == 3600.0 for r in result.records) == 5

    def waiting_at(t: float, i: int) -> bool:
        walk = result.walks[i]
        if walk.arrived is None:
            return False
        record = finished.get(i)
        if record is None:
            return on_grid(result.arrival_of_call[i] + walk.seconds) <= t
        left = record.answered_at if record.answered_at is not None else record.ended_at
        return record.enqueued_at <= t < left  # overflowed to a message: left unanswered

    assert dict(result.samples)[3600.0] == sum(waiting_at(3600.0, i)
                                               for i in range(len(result.walks))) > 0


def test_hourly_profile_drives_arrivals() -> None:
    rates = [0.0] * 24
    rates[1], rates[2] = 600.0, 60.0
    data = small(duration_hours=4, arrivals=[{"line": "12345", "language": "zh",
                                              "per_hour": rates}])
    result = simulate(scenario_from_dict(data), seed=4)
    hours = np.bincount((np.array(result.arrival_of_call) // 3600).astype(int), minlength=4).astype(int)
    assert hours[0] == 0 and hours[3] == 0
    assert abs(hours[1] - 600) < 4 * 600**0.5 and abs(hours[2] - 60) < 4 * 60**0.5


def test_piecewise_poisson_counts_match_rates() -> None:
    rates = [100.0 * (h % 5) for h in range(24)]
    stream = PiecewisePoisson(rates, 48 * 3600.0, np.random.default_rng(5))
    times, t = [], 0.0
    while (t := stream.next_after(t)) < float("inf"):
        times.append(t)
    counts = np.bincount((np.array(times) // 3600).astype(int), minlength=48).astype(float)
    expected = np.array(rates * 2)
    assert counts[expected == 0].sum() == 0
    z = (counts - expected)[expected > 0] / np.sqrt(expected[expected > 0])
    assert np.abs(z).max() < 4.5 and abs(z.mean()) < 1.0


def test_calls_nobody_can_take_count_as_offered_and_unfinished() -> None:
    from simulator.metrics import summarize
    from simulator.scenario import LoadedScenario, StaffGroup

    data = small(duration_hours=1, patience={"distribution": "none"},
                 arrivals=[{"line": "12345", "language": "zh", "calls_per_hour": 60}])
    valid = scenario_from_dict(data)
    # The loader refuses such staffing (test_scenario); the engine must still count the calls.
    nobody = valid.scenario.model_copy(update={"staffing": [StaffGroup(count=2, skills={"en": 5})]})
    loaded = LoadedScenario(nobody, valid.config, valid.path)
    result = simulate(loaded, seed=6)
    overall = summarize(result, loaded)["overall"]
    assert result.unfinished == len(result.stream_of_call) > 0
    assert overall["offered"] == overall["unfinished"] == result.unfinished
    # calls still waiting are not counted yet (as live): no service level at all
    assert overall["service_level"] is None and overall["answered"] == 0
