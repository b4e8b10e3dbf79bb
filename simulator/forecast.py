"""Arrivals per half-hour by line, language and queue for the coming days, from call records.

The model, fitted on the history before the first forecast day:

- the day's total: log-linear least squares on a trend (per week), the day of the week, and
  two day types from the Chinese calendar: public holidays (a day off that is not an
  ordinary weekend) and make-up working days (a weekend day worked, 调休);
- the shape of the day: the mean share of each interval, by day kind (working day, weekend,
  holiday), over the last ``profile_weeks``;
- the split by line, language and queue: each series' share of the day and its own shape,
  pulled towards the total's shape while it has few calls.

The backtest holds out whole weeks, refits before each, and scores the model against the
seasonal naive forecast (the same interval one week earlier) in the same run.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from cases.calendar import CalendarGap, WorkCalendar

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
Key = tuple[str, str, str]  # line, language, queue


@dataclass(frozen=True, slots=True)
class DayType:
    weekday: int  # 0 = Monday
    kind: str  # "working", "weekend", "holiday", "makeup"
    note: str = ""


def day_type(day: dt.date, calendar: WorkCalendar) -> DayType:
    """What kind of day ``day`` is for a hotline: weekday, weekend, holiday or make-up day."""
    weekday = day.weekday()
    try:
        working = calendar.is_working_day(day)
    except CalendarGap:
        return DayType(weekday, "working" if weekday < 5 else "weekend", "no holiday data")
    if working:
        return DayType(weekday, "makeup" if weekday >= 5 else "working")
    if weekday < 5 or _named_holiday(day):
        return DayType(weekday, "holiday")
    return DayType(weekday, "weekend")


def _named_holiday(day: dt.date) -> bool:
    import chinese_calendar

    try:
        return bool(chinese_calendar.get_holiday_detail(day)[1])
    except NotImplementedError:
        return False


@dataclass(slots=True)
class History:
    """Arrival counts: ``counts[day, interval, series]`` from ``start`` on."""

    start: dt.date
    interval_minutes: int
    keys: list[Key]
    counts: np.ndarray

    @property
    def days(self) -> int:
        return self.counts.shape[0]

    def date(self, index: int) -> dt.date:
        return self.start + dt.timedelta(days=index)

    def upto(self, days: int) -> History:
        return History(self.start, self.interval_minutes, self.keys, self.counts[:days])


def history_from_arrivals(rows: Iterable[tuple[float, str, str, str]], tz: str,
                          interval_minutes: int = 30) -> History:
    """Count ``(epoch seconds, line, language, queue)`` rows per local day and interval."""
    zone = ZoneInfo(tz)
    cells: dict[tuple[dt.date, int, Key], int] = {}
    for at, line, language, queue in rows:
        local = dt.datetime.fromtimestamp(at, zone)
        slot = (local.hour * 60 + local.minute) // interval_minutes
        cell = (local.date(), slot, (line or "", language or "", queue or ""))
        cells[cell] = cells.get(cell, 0) + 1
    if not cells:
        raise ValueError("no call records to forecast from")
    keys = sorted({k for _, _, k in cells})
    first = min(d for d, _, _ in cells)
    last = max(d for d, _, _ in cells)
    counts = np.zeros(((last - first).days + 1, 1440 // interval_minutes, len(keys)))
    index = {k: i for i, k in enumerate(keys)}
    for (day, slot, key), n in cells.items():
        counts[(day - first).days, slot, index[key]] = n
    return History(first, interval_minutes, keys, counts)


def _kind_of_profile(t: DayType) -> str:
    return {"makeup": "working"}.get(t.kind, t.kind)


class Model:
    """The fitted model (see the module docstring)."""

    def __init__(self, history: History, calendar: WorkCalendar, fit_weeks: int = 16,
                 profile_weeks: int = 6, pull_calls: float = 200.0) -> None:
        if history.days < 14:
            raise ValueError(f"need at least 14 days of history, got {history.days}")
        self.history, self.calendar = history, calendar
        first = max(0, history.days - 7 * fit_weeks)
        days = range(first, history.days)
        self.types = {d: day_type(history.date(d), calendar) for d in days}
        totals = history.counts[first:].sum(axis=(1, 2))
        self.seen = {t.kind for t in self.types.values()}
        x = np.array([self._features(d, self.types[d]) for d in days])
        y = np.log(totals + 1.0)
        self.beta, *_ = np.linalg.lstsq(x, y, rcond=None)
        self.smear = float(np.mean(np.exp(y - x @ self.beta)))
        self._profiles(first, profile_weeks, pull_calls)

    def _features(self, d: int, t: DayType) -> list[float]:
        week = d / 7.0
        kind = t.kind
        if kind not in getattr(self, "seen", {kind}):  # never seen in the history: stand-ins
            kind, t = ("weekend", DayType(6, "weekend")) if kind == "holiday" else (
                "working", DayType(2, "working"))
        dow = [1.0 if kind in ("working", "weekend") and t.weekday == i else 0.0
               for i in range(1, 7)]
        return [1.0, week, *dow, float(kind == "holiday"), float(kind == "makeup")]

    def _profiles(self, first: int, profile_weeks: int, pull: float) -> None:
        h = self.history
        recent = range(max(first, h.days - 7 * profile_weeks), h.days)
        self.shape: dict[str, np.ndarray] = {}  # kind -> (interval, series) share of the day
        for kind in ("working", "weekend", "holiday"):
            days = [d for d in recent if _kind_of_profile(self.types[d]) == kind]
            if not days:
                days = [d for d in range(first, h.days) if _kind_of_profile(self.types[d]) == kind]
            if not days:
                continue
            cells = h.counts[days].sum(axis=0)  # (interval, series)
            total = cells.sum()
            per_series = cells.sum(axis=0)  # calls per series
            overall = cells.sum(axis=1) / total  # shape of the whole day
            weight = per_series / (per_series + pull)
            own = np.divide(cells, per_series, out=np.zeros_like(cells), where=per_series > 0)
            series_shape = weight * own + (1 - weight) * overall[:, None]
            self.shape[kind] = series_shape * (per_series / total)[None, :]
        if "working" not in self.shape:
            raise ValueError("the history has no ordinary working day")

    def day_total(self, d: int) -> float:
        t = day_type(self.history.date(d), self.calendar)
        return float(math.exp(np.dot(self._features(d, t), self.beta)) * self.smear - 1.0)

    def forecast(self, first_day: int, days: int) -> np.ndarray:
        """Expected arrivals ``[day, interval, series]`` for ``days`` days from ``first_day``."""
        out = []
        for d in range(first_day, first_day + days):
            t = day_type(self.history.date(d), self.calendar)
            kind = _kind_of_profile(t)
            shape = self.shape.get(kind, self.shape.get("weekend" if kind == "holiday" else "working",
                                                        self.shape["working"]))
            out.append(max(self.day_total(d), 0.0) * shape)
        return np.array(out)


def seasonal_naive(history: History, first_day: int, days: int) -> np.ndarray:
    """The same interval one week earlier (repeated for horizons over a week)."""
    out = []
    for d in range(first_day, first_day + days):
        back = d - 7 * math.ceil((d - first_day + 1) / 7)
        out.append(history.counts[back])
    return np.array(out)


@dataclass(frozen=True, slots=True)
class Score:
    level: str
    mape: float | None
    wape: float | None
    naive_mape: float | None
    naive_wape: float | None
    cells: int


def _errors(forecast: np.ndarray, actual: np.ndarray) -> tuple[float | None, float | None]:
    f, a = forecast.ravel(), actual.ravel()
    nonzero = a > 0
    mape = float(np.mean(np.abs(f[nonzero] - a[nonzero]) / a[nonzero])) if nonzero.any() else None
    wape = float(np.abs(f - a).sum() / a.sum()) if a.sum() > 0 else None
    return mape, wape


@dataclass(frozen=True, slots=True)
class Backtest:
    weeks: list[dt.date]  # first day of each held-out week
    scores: list[Score]
    special_days: list[tuple[dt.date, str]]  # holidays and make-up days inside the held-out weeks


def backtest(history: History, calendar: WorkCalendar, weeks: int = 2, **model_args) -> Backtest:
    """Hold out each of the last ``weeks`` whole weeks in turn; score model and seasonal naive."""
    if history.days < 7 * weeks + 21:
        raise ValueError(f"a {weeks}-week backtest needs at least {7 * weeks + 21} days of "
                         f"history, got {history.days}")
    starts = [history.days - 7 * (weeks - w) for w in range(weeks)]
    fc, nv, ac, kinds = [], [], [], []
    for start in starts:
        model = Model(history.upto(start), calendar, **model_args)
        fc.append(model.forecast(start, 7))
        nv.append(seasonal_naive(history, start, 7))
        ac.append(history.counts[start:start + 7])
        kinds += [day_type(history.date(d), calendar).kind for d in range(start, start + 7)]
    f, n, a = (np.concatenate(v) for v in (fc, nv, ac))
    special = np.array([k in ("holiday", "makeup") for k in kinds])
    levels = [
        ("day, all calls", f.sum(axis=(1, 2)), n.sum(axis=(1, 2)), a.sum(axis=(1, 2))),
        ("half-hour, all calls", f.sum(axis=2), n.sum(axis=2), a.sum(axis=2)),
        ("day, by line/language/queue", f.sum(axis=1), n.sum(axis=1), a.sum(axis=1)),
        ("half-hour, by line/language/queue", f, n, a),
    ]
    if special.any():
        levels.insert(1, ("day, holidays and make-up days", f[special].sum(axis=(1, 2)),
                          n[special].sum(axis=(1, 2)), a[special].sum(axis=(1, 2))))
    scores = []
    for name, ff, nn, aa in levels:
        mape, wape = _errors(ff, aa)
        nmape, nwape = _errors(nn, aa)
        scores.append(Score(name, mape, wape, nmape, nwape, int(aa.size)))
    special_days = [(history.date(starts[0] + int(i)), kinds[i]) for i in np.flatnonzero(special)]
    return Backtest([history.date(s) for s in starts], scores, special_days)


def forecast_days(history: History, calendar: WorkCalendar, first: dt.date, days: int,
                  **model_args) -> tuple[list[dt.date], np.ndarray, list[DayType]]:
    """Expected arrivals ``[day, interval, series]`` for ``days`` days from ``first`` (after the
    history)."""
    model = Model(history, calendar, **model_args)
    offset = (first - history.start).days
    if offset < history.days:
        raise ValueError(f"the forecast must start after the history ({history.date(history.days - 1)})")
    dates = [first + dt.timedelta(days=i) for i in range(days)]
    return dates, model.forecast(offset, days), [day_type(d, calendar) for d in dates]


def hourly(cells: np.ndarray, interval_minutes: int) -> np.ndarray:
    """Per-interval counts ``[interval, ...]`` summed into 24 hours."""
    per_hour = 60 // interval_minutes
    return cells.reshape(24, per_hour, *cells.shape[1:]).sum(axis=1)


def merge_keys(keys: Sequence[Key], by: tuple[int, ...]) -> dict[tuple[str, ...], list[int]]:
    """Series indices grouped by the chosen key parts (0 line, 1 language, 2 queue)."""
    out: dict[tuple[str, ...], list[int]] = {}
    for i, key in enumerate(keys):
        out.setdefault(tuple(key[p] for p in by), []).append(i)
    return out
