"""Synthetic call records with known seasonality, trend and Chinese holidays (for forecasts).

Each day's expected volume is ``base * weekday factor * (1 + trend) ** weeks``, times
``holiday_factor`` on public holidays; make-up working days (调休) are ordinary working
days. The day's shape is the shipped Jinan day's hourly profile (a flatter, later one at
weekends and on holidays), split over lines and languages as in that scenario. Counts are
Poisson, so a forecast can be checked against the truth it was generated from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from acd.commands import CallRecord
from callcenter.config import HotlineConfig
from cases.calendar import WorkCalendar
from simulator.forecast import day_type
from simulator.scenario import LoadedScenario

WEEKDAY_FACTORS = (1.15, 1.05, 1.0, 1.0, 0.95, 0.6, 0.55)


@dataclass(frozen=True, slots=True)
class Seasonality:
    calls_per_day: float = 2000.0  # an ordinary Wednesday at the start
    weekday_factors: tuple[float, ...] = WEEKDAY_FACTORS
    holiday_factor: float = 0.45
    trend_per_week: float = 0.005

    def expected(self, day: dt.date, start: dt.date, calendar: WorkCalendar) -> float:
        kind = day_type(day, calendar).kind
        factor = {"holiday": self.holiday_factor, "makeup": 1.0}.get(
            kind, self.weekday_factors[day.weekday()])
        return self.calls_per_day * factor * (1 + self.trend_per_week) ** ((day - start).days / 7)


def _shapes(loaded: LoadedScenario) -> tuple[np.ndarray, np.ndarray, list[tuple[str, str]]]:
    """(working-day shape, weekend shape) as (hour, stream) shares, and the streams."""
    rates = np.array([a.hourly_rates() for a in loaded.scenario.arrivals]).T  # (24, streams)
    working = rates / rates.sum()
    hours = rates.sum(axis=1)
    later = np.roll(hours, 1) * 0.5 + hours * 0.3 + hours.mean() * 0.2  # flatter and later
    weekend = (later / later.sum())[:, None] * (rates.sum(axis=0) / rates.sum())[None, :]
    return working, weekend, [(a.line, a.language) for a in loaded.scenario.arrivals]


def generate(loaded: LoadedScenario, start: dt.date, days: int, seed: int = 0,
             season: Seasonality | None = None) -> list[CallRecord]:
    """Answered call records for ``days`` days from ``start`` (local time of the center)."""
    season = season or Seasonality()
    config: HotlineConfig = loaded.config
    zone = ZoneInfo(config.center.timezone)
    calendar = WorkCalendar(tz=config.center.timezone)
    working, weekend, streams = _shapes(loaded)
    rng = np.random.default_rng(seed)
    out: list[CallRecord] = []
    for i in range(days):
        day = start + dt.timedelta(days=i)
        kind = day_type(day, calendar).kind
        shape = working if kind in ("working", "makeup") else weekend
        counts = rng.poisson(season.expected(day, start, calendar) * shape)
        midnight = dt.datetime.combine(day, dt.time(), zone).timestamp()
        for (hour, s), n in np.ndenumerate(counts):
            if not n:
                continue
            line, language = streams[s]
            queue = config.route_for(line, language)
            for at in np.sort(rng.uniform(0, 3600, n)) + midnight + hour * 3600:
                at = float(at)
                out.append(CallRecord(
                    call_id=f"h{len(out)}", queue=queue, line=line, language=language, priority=0,
                    arrived_at=at, enqueued_at=at + 20, outcome="answered", answered_at=at + 25,
                    ended_at=at + 265, agent_id="history", wait=5.0, sl_wait=5.0, talk=240.0,
                    offers=1, first_queue=queue))
    return out
