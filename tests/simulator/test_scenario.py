"""Scenario validation: every error names the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simulator.scenario import (
    ScenarioError,
    load_scenario,
    scenario_from_dict,
    shipped_scenarios,
)


def base() -> dict:
    return {
        "duration_hours": 2,
        "arrivals": [
            {"name": "mandarin", "line": "12345", "language": "zh", "calls_per_hour": 100},
            {"name": "english", "line": "12345", "language": "en", "per_hour": [2.0] * 24},
        ],
        "staffing": [{"count": 5, "skills": {"zh": 3, "general": 2, "en": 4}}],
    }


def error_of(data: dict) -> str:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    return str(info.value)


def test_valid_scenario_loads() -> None:
    loaded = scenario_from_dict(base())
    assert loaded.scenario.arrivals[1].hourly_rates() == [2.0] * 24
    assert loaded.config.route_for("12345", "en") == "en-general"


def test_23_hourly_rates_names_the_field() -> None:
    data = base()
    data["arrivals"][1]["per_hour"] = [1.0] * 23
    assert "arrivals[1].per_hour: expected 24 hourly rates, got 23" in error_of(data)


def test_negative_rate_names_the_hour() -> None:
    data = base()
    data["arrivals"][1]["per_hour"][5] = -1
    assert "arrivals[1].per_hour[5]" in error_of(data)
    data = base()
    data["arrivals"][0]["calls_per_hour"] = -3
    assert "arrivals[0].calls_per_hour" in error_of(data)


def test_unknown_language_and_line() -> None:
    data = base()
    data["arrivals"][0]["language"] = "xx"
    assert "arrivals[0].language" in error_of(data)
    data = base()
    data["arrivals"][0]["line"] = "99999"
    message = error_of(data)
    assert "arrivals[0].line" in message and "12345" in message


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(surprise=1), "surprise: unknown field"),
        (lambda d: d["staffing"][0]["skills"].update(plumbing=3), "staffing[0].skills.plumbing"),
        (lambda d: d.update(handle_time={"distribution": "lognormal", "mean_seconds": 200}),
         "handle_time: lognormal needs sd_seconds"),
        (lambda d: d.update(warmup_hours=5), "warmup_hours must be shorter"),
        (lambda d: d["arrivals"][0].update(per_hour=[1] * 24), "exactly one of"),
        (lambda d: d.update(staffing=[{"count": 0, "skills": {"zh": 3}}]), "staffing[0].count"),
        (lambda d: d.update(staffing=[{"count": 2, "skills": {"zh": 3},
                                       "shifts": [{"start_hour": 5, "end_hour": 3}]}]),
         "staffing[0].shifts[0]"),
    ],
)
def test_errors_name_the_field(change, field: str) -> None:
    data = base()
    change(data)
    assert field in error_of(data)


def test_file_errors_carry_the_line_number(tmp_path: Path) -> None:
    data = base()
    data["arrivals"][1]["per_hour"] = [1.0] * 23
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1)
                if text.strip().startswith("per_hour"))
    assert f"bad.yaml:{line}: arrivals[1].per_hour" in str(info.value)


def test_shipped_scenarios_are_valid() -> None:
    shipped = shipped_scenarios()
    assert {"jinan-day", "mmc-plus-m"} <= set(shipped)
    day = load_scenario("jinan-day").scenario
    totals = {a.language: 0.0 for a in day.arrivals}
    for arrival in day.arrivals:
        totals[arrival.language] += sum(arrival.hourly_rates())
    assert 9000 < sum(totals.values()) < 11000
    foreign = sorted((v for k, v in totals.items() if k != "zh"), reverse=True)
    assert totals["en"] == foreign[0] and sum(foreign) < 0.05 * totals["zh"]
    rates = [sum(a.hourly_rates()[h] for a in day.arrivals) for h in range(24)]
    assert rates[3] < rates[10] / 10 and rates[3] < rates[15] / 10  # night trough, two peaks
    assert rates[12] < rates[10] and rates[12] < rates[15]


def test_a_queue_no_agent_can_serve_stops_the_scenario(tmp_path: Path) -> None:
    """Japanese callers and nobody who speaks Japanese (or English, its fallback)."""
    data = base()
    data["arrivals"][1] = {"name": "japanese", "line": "12345", "language": "ja",
                           "calls_per_hour": 3}
    data["staffing"] = [{"count": 5, "skills": {"zh": 3, "general": 2}}]
    path = tmp_path / "no-ja.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    staffing = next(i for i, text in enumerate(path.read_text().splitlines(), 1)
                    if text.startswith("staffing"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value) == (
        f"{path}:{staffing}: queues[ja-general]: no agent has the skills ja>=4 or ja>=3 or "
        f"en>=4 in the staffing; calls of arrivals[1] (line 12345, ja) reach it through flow "
        f"line_12345 and would be lost")


def test_a_queue_served_after_escalation_or_by_its_overflow_queue_is_fine() -> None:
    data = base()
    data["arrivals"].append({"name": "japanese", "line": "12345", "language": "ja",
                             "calls_per_hour": 3})
    scenario_from_dict(data)  # the staffing speaks English: ja-general's fallback after 30 s
    housing = base()  # zh-housing-fund needs housing_fund>=3 but overflows to zh-general
    housing["arrivals"][0]["line"] = "12329"
    scenario_from_dict(housing)
