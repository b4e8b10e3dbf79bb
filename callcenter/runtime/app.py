"""The composition root: one function builds config, core, drivers and adapters."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import random
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from acd.commands import Command
from acd.engine import ACD
from callcenter.casework.service import Casework, build_casework
from callcenter.config import HotlineConfig
from callcenter.metrics import CallMetrics, acd_provider, new_registry
from callcenter.metrics.sms import SmsCollector
from callcenter.records import RecordStore, RecordWriter, log_call_summaries
from callcenter.runtime.core_driver import CoreDriver
from callcenter.runtime.deadline_timer import DeadlineTimer
from callcenter.sms.outbox import Outbox
from callcenter.sms.sender import SmsSender
from callcenter.sms.wiring import attach_notices, history_recorder

log = logging.getLogger("callcenter")


@dataclass
class Engine:
    """The parts of a running engine, built from explicit pieces (no import-time magic)."""

    config: HotlineConfig
    acd: ACD
    driver: CoreDriver
    store: RecordStore
    writer: RecordWriter
    call_metrics: CallMetrics
    registry: object  # prometheus CollectorRegistry of this engine only
    casework: Casework | None = None  # cases (工单), users, knowledge base
    call_actions: Any = None  # the embedded telephony's DeskCalls (transfer, three-way), once up
    agent_tasks: Any = None  # the agents' outbound tasks (the desk's card and results), once they run
    started_at: float = 0.0
    sms_outbox: Outbox | None = None  # SMS notices queued with their case changes (config sms:)
    sms_password: str | None = None  # the SMPP password (serve reads it from the secrets)

    def open_records(self) -> None:
        """Close what an earlier run left open (seats logged in, calls in progress: ``lost``)
        and start writing. Call it once the listeners are bound: an engine that cannot start
        must not touch the records. Records queued meanwhile are written after this."""
        self.writer.release(lambda store: recover(store, self.started_at))

    def close(self) -> None:
        """Stop timers and flush every record to disk."""
        self.driver.close()
        self.writer.close()
        self.store.close()
        if self.casework is not None:
            self.casework.close()

    def status_line(self) -> str:
        snapshot = self.acd.snapshot(self.driver.clock())
        waiting = sum(q["waiting"] for q in snapshot["queues"].values())
        states: dict[str, int] = {}
        for agent in snapshot["agents"]:
            key = agent["presence"] if agent["presence"] != "available" else agent["activity"]
            states[key] = states.get(key, 0) + 1
        agents = " ".join(f"{k}={v}" for k, v in sorted(states.items()))
        return f"status waiting={waiting} live_calls={self.acd.live_calls()} agents: {agents}"


def recover(store: RecordStore, started_at: float) -> None:
    """Close, as of ``started_at``, what a run before it left open in ``store``."""
    closed = store.close_open_states(started_at)
    if closed:
        log.warning("seats left open by an earlier run were logged out: %s", ", ".join(closed))
    lost = store.close_lost_calls(started_at)
    if lost:
        log.warning("%d call(s) left open by an earlier run closed as lost (it was last seen "
                    "alive at %s)", len(lost), time.strftime(
                        "%Y-%m-%d %H:%M:%S", time.localtime(max(c.ended_at or 0 for c in lost))))


def build_engine(config: HotlineConfig, *, db_url: str, seed: int | None = None,
                 hold_records: bool = False) -> Engine:
    """Wire the routing core, its asyncio driver, records and metrics for ``config``.

    The record database is locked for this engine (``StoreLocked`` if another one has it).
    With ``hold_records`` nothing is written, and nothing an earlier run left open is closed,
    until ``Engine.open_records`` (``run`` calls it once the listeners are up)."""
    outbound = config.outbound.agent_queue() if config.outbound is not None else None
    acd = ACD([*config.queue_specs(), *([outbound] if outbound is not None else [])],
              config.agent_specs(), rng=random.Random(seed))
    driver = CoreDriver(acd)
    store = RecordStore.open(db_url, timezone=config.center.timezone, create=True,
                             exclusive=True)
    writer = RecordWriter(store, held=True)
    call_metrics = CallMetrics()

    def log_commands(commands: Sequence[Command]) -> None:
        for command in commands:
            log.debug("%s", command)

    driver.add_sink(writer.sink)
    driver.add_sink(call_metrics.sink)
    driver.add_sink(log_call_summaries)
    driver.add_sink(log_commands)
    registry = new_registry(acd_provider(acd, driver.clock, call_metrics))
    tz = config.center.timezone
    casework = build_casework(db_url, timezone=tz, clock=driver.clock, rules=config.cases.rules,
                              calendar=config.cases.work_calendar(tz),
                              cluster_threshold=config.cases.cluster_threshold,
                              cluster_window=config.cases.cluster_window_hours * 3600)
    casework.service.live_line = acd.call_line  # a dict read: safe from the intake's worker thread
    engine = Engine(config=config, acd=acd, driver=driver, store=store, writer=writer,
                    call_metrics=call_metrics, registry=registry, casework=casework,
                    started_at=driver.clock())
    if config.sms is not None and config.sms.enabled:
        engine.sms_outbox = attach_notices(casework, config.sms, line=config.lines[0].number, timezone=tz,
                                           default_language=config.default_language)
    if not hold_records:
        engine.open_records()
    return engine


def start_case_timer(engine: Engine) -> DeadlineTimer | None:
    """Drive the case workflow's deadlines (cards, reminders, overdue supervision) from the
    running loop: one timer for the earliest deadline in the store, re-armed on every change."""
    if engine.casework is None:
        return None
    service = engine.casework.service
    timer = DeadlineTimer(service.next_deadline, service.fire_due, clock=engine.driver.clock,
                          loop=asyncio.get_running_loop(), timers=engine.driver.timers)
    service.on_change(timer.poke)
    timer.start()
    return timer


def start_sms(engine: Engine) -> SmsSender | None:
    """The SMPP link beside the case timer: sends the outbox's notices and records their
    delivery in the cases' history; woken by every case change."""
    sms = engine.config.sms
    if engine.sms_outbox is None or engine.casework is None or sms is None:
        return None
    if not engine.sms_password:
        log.error("sms: no SMPP password: notices stay in the outbox")
        return None
    sender = SmsSender(sms, engine.sms_outbox, engine.sms_password,
                       source=sms.source or engine.config.lines[0].number,
                       on_change=history_recorder(engine.casework),
                       hours=sms.sending_hours(engine.config.center.timezone), clock=engine.driver.clock)
    engine.casework.service.on_change(sender.poke)
    engine.registry.register(SmsCollector(sender))  # type: ignore[attr-defined]
    sender.start()
    return sender


async def run(engine: Engine, *, status_interval: float = 60.0, run_for: float | None = None,
              start: Callable[[Engine], Awaitable[list[Callable[[], Awaitable[None]]]]] | None = None,
              ) -> None:
    """Run until SIGINT/SIGTERM (or ``run_for`` seconds), logging a status line now and then.

    ``start`` opens the listeners (SIP, HTTP) inside the loop and returns their closers.
    """
    loop = asyncio.get_running_loop()
    case_timer = start_case_timer(engine)
    sms_sender = start_sms(engine)
    closers = await start(engine) if start is not None else []
    engine.open_records()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # non-main thread
            loop.add_signal_handler(sig, stop.set)
    if run_for is not None:
        loop.call_later(run_for, stop.set)
    # Config, roster and flows live as long as the engine: keep them out of the collector's
    # generations so a full collection never pauses routing for tens of milliseconds.
    gc.collect()
    gc.freeze()
    log.info("engine ready: %s, %d lines, %d queues, %d agents", engine.config.center.name,
             len(engine.config.lines), len(engine.config.queues), len(engine.config.agents))
    log.info(engine.status_line())
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=status_interval)
        except TimeoutError:
            log.info(engine.status_line())
    for close in closers:
        try:
            await close()
        except Exception:
            log.exception("closing a listener failed")
    if case_timer is not None:
        await case_timer.close()
    if sms_sender is not None:
        await sms_sender.close()
    engine.close()
    log.info("engine stopped")
