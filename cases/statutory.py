"""The statutory public holidays of the PRC for any year, from the rules alone.

《全国年节及纪念日放假办法》 (as revised with effect from 2025) fixes 13 days off for everyone:
New Year's Day (1 January), Spring Festival (New Year's Eve and the first three days of the
lunar year), Qingming (the solar term's day), Labour Day (1-2 May), Dragon Boat (lunar 5/5),
Mid-Autumn (lunar 8/15) and National Day (1-3 October). What the rules cannot give is each
year's schedule of bridged days and make-up working days (调休), announced by the State Council
late in the year before: a calendar built from these days alone is *provisional*, and deadlines
computed on it are flagged as such.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import chinese_calendar
from lunardate import LunarDate

FIRST_YEAR, LAST_YEAR = 2025, 2099  # the revised rules; the lunar conversion's range


def _lunar(year: int, month: int, day: int) -> dt.date:
    return LunarDate(year, month, day).to_solar_date()


def _qingming(year: int) -> dt.date:
    terms = chinese_calendar.get_solar_terms(dt.date(year, 4, 1), dt.date(year, 4, 10))
    return next(day for day, name in terms if name == "清明")


@lru_cache(maxsize=64)
def statutory_holidays(year: int) -> frozenset[dt.date]:
    """The statutory days off of ``year`` (no bridged days: those are announced each year)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"year: {year} is outside {FIRST_YEAR}-{LAST_YEAR}")
    new_year = _lunar(year, 1, 1)
    spring = {new_year + dt.timedelta(days=d) for d in range(-1, 3)}  # 除夕 to 初三
    return frozenset({
        dt.date(year, 1, 1),
        *(day for day in spring if day.year == year),
        _qingming(year),
        dt.date(year, 5, 1), dt.date(year, 5, 2),
        _lunar(year, 5, 5),
        _lunar(year, 8, 15),
        dt.date(year, 10, 1), dt.date(year, 10, 2), dt.date(year, 10, 3),
    })
