"""Shared builders for the case-core tests: a context, actors and local times."""

from __future__ import annotations

import datetime as dt

from callcenter.casework.taxonomy_file import load_taxonomy
from cases.calendar import WorkCalendar
from cases.model import Actor, Role
from cases.rules import Rules
from cases.workflow import Context

CAL = WorkCalendar()
TAXONOMY = load_taxonomy()
DEPARTMENTS = frozenset({"roads", "housing", "market"})
AGENT = Actor("agent-1", Role.AGENT)
SUPERVISOR = Actor("sup-1", Role.SUPERVISOR)
ROADS = Actor("roads-1", Role.DEPARTMENT, "roads")
HOUSING = Actor("housing-1", Role.DEPARTMENT, "housing")
MARKET = Actor("market-1", Role.DEPARTMENT, "market")


def context(rules: Rules | None = None, visit_rate: float = 0.0, **changes: object) -> Context:
    rules = (rules or Rules()).model_copy(update={"direct_visit_rate": visit_rate, **changes})
    return Context(TAXONOMY, DEPARTMENTS, CAL, rules)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> float:
    """Epoch seconds of a local (Asia/Shanghai) time."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=CAL.tz).timestamp()


def local(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, CAL.tz).replace(tzinfo=None)
