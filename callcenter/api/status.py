"""Read-only views: queues, calls, today's figures, the daily report and ``/metrics``.

Every handler touching the ACD is ``async`` so that it runs on the engine's loop (the core is
not thread-safe); the daily report reads the database in a worker thread."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from acd.stats import QueueStats
from callcenter.api.models import CallOut, CallsOut, FiguresOut, Problem, QueueOut, Targets
from callcenter.metrics import render_metrics
from callcenter.reports.daily import Targets as ReportTargets
from callcenter.reports.daily import build_daily_report, parse_day
from callcenter.runtime.app import Engine
from callcenter.wallboard.today import TodayCounters
from callcenter.wallboard.view import combine_stats, queue_languages


def _targets(engine: Engine) -> Targets:
    sl = engine.config.service_level
    return Targets(threshold_seconds=sl.threshold_seconds, service_level=sl.target,
                   connection_rate=sl.connection_rate_target, definition=sl.policy().describe())


def _figures(stats: QueueStats) -> dict[str, Any]:
    figures = stats.as_dict()
    del figures["max_wait_seconds"]  # not kept per day
    return figures


def status_router(engine: Engine, today: TodayCounters) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["status"])
    languages = queue_languages(engine.config)

    def snapshot() -> dict[str, Any]:
        return engine.acd.snapshot(engine.driver.clock())

    @router.get("/queues", response_model=list[QueueOut], summary="Every queue now")
    async def queues() -> list[QueueOut]:
        return [QueueOut(name=name, language=languages.get(name), **entry)
                for name, entry in snapshot()["queues"].items()]

    @router.get("/calls", response_model=CallsOut,
                summary="Calls in the ACD: waiting (per queue), ringing an agent, talking")
    async def calls() -> CallsOut:
        snap = snapshot()
        ringing: list[CallOut] = []
        talking: list[CallOut] = []
        for agent in snap["agents"]:
            if agent["call_id"] is None:
                continue
            call = CallOut(call_id=str(agent["call_id"]), agent_id=agent["agent_id"],
                           line=agent["line"], language=agent["language"])
            (talking if agent["activity"] == "on_call" else ringing).append(call)
        return CallsOut(waiting={n: q["waiting"] for n, q in snap["queues"].items()},
                        longest_wait={n: q["longest_wait"] for n, q in snap["queues"].items()},
                        ringing=ringing, talking=talking)

    @router.get("/figures/today", response_model=FiguresOut,
                summary="Offered, answered, abandoned, service level, connection rate, ASA, AHT "
                        "per queue and overall, from the ACD's live counters")
    async def figures() -> FiguresOut:
        now = engine.driver.clock()
        stats = today.today(engine.acd.stats, now)
        policy = engine.config.service_level.policy()
        return FiguresOut(since=today.since, now=now, targets=_targets(engine),
                          overall=_figures(combine_stats(stats.values(), policy)),
                          queues={name: _figures(s) for name, s in stats.items()})

    @router.get("/reports/daily/{day}", summary="The daily report from the call records",
                description="``day`` is YYYY-MM-DD or ``today``, in the center's timezone.",
                responses={400: {"model": Problem, "description": "Bad day"}})
    async def daily_report(day: str) -> dict[str, Any]:
        timezone = ZoneInfo(engine.config.center.timezone)
        try:
            when = datetime.now(timezone).date() if day == "today" else parse_day(day)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
        sl = engine.config.service_level
        report = await asyncio.to_thread(
            build_daily_report, engine.store, when, sl.policy(),
            targets=ReportTargets(service_level=sl.target, connection_rate=sl.connection_rate_target),
            center=engine.config.center.name, now=time.time())
        return report.as_dict()

    return router


def metrics_router(engine: Engine) -> APIRouter:
    router = APIRouter(tags=["metrics"])

    @router.get("/metrics", summary="Prometheus metrics of this engine",
                response_class=Response, responses={200: {"content": {"text/plain": {}}}})
    async def metrics() -> Response:
        body, content_type = render_metrics(engine.registry)  # on the loop: the ACD is read here
        return Response(body, media_type=content_type)

    return router
