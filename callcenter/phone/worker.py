"""The one thread that owns the pjsua2 Endpoint.

pjsua2 runs with no threads of its own (``threadCnt=0``, ``mainThreadOnly``): this thread
polls ``libHandleEvents`` and runs the jobs other threads hand it through :meth:`PjWorker.call`,
plus timers set from inside it with :meth:`PjWorker.later`. There can be one per process.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import heapq
import itertools
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

POLL_MS = 10


class PjWorker:
    """Start pjsua2 with one UDP transport on ``host:port`` (0: any free port) and the null
    sound device; ``port`` holds the bound port once :meth:`start` returns."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, log_level: int = 0) -> None:
        self.host = host
        self.port = port
        self.log_level = log_level
        self.endpoint: Any = None
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._running = False
        self.on_shutdown: list[Callable[[], None]] = []  # run on the thread before libDestroy
        self._ready = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._main, name="pjsua2", daemon=True)

    def start(self, timeout: float = 10.0) -> PjWorker:
        self._running = True
        self._thread.start()
        self._ready.result(timeout)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Hang up everything, destroy the library and end the thread."""
        self._running = False
        self._thread.join(timeout)

    def call(self, fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future:
        """Run ``fn(*args)`` on the worker thread; the future carries its result."""
        future: concurrent.futures.Future = concurrent.futures.Future()
        if threading.current_thread() is self._thread:
            _run(future, fn, args)
        else:
            self._jobs.put((future, fn, args))
        return future

    def run(self, fn: Callable[..., Any], *args: Any, timeout: float = 10.0) -> Any:
        """Run ``fn(*args)`` on the worker thread and wait for its result."""
        return self.call(fn, *args).result(timeout)

    def later(self, delay: float, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the worker thread after ``delay`` seconds (worker thread only)."""
        heapq.heappush(self._timers, (time.monotonic() + delay, next(self._seq), fn))

    def _main(self) -> None:
        try:
            self._init()
        except BaseException as exc:  # noqa: BLE001 - reported to start()
            self._ready.set_exception(exc)
            return
        self._ready.set_result(None)
        try:
            while self._running:
                self.endpoint.libHandleEvents(POLL_MS)
                while not self._jobs.empty():
                    _run(*self._jobs.get_nowait())
                now = time.monotonic()
                while self._timers and self._timers[0][0] <= now:
                    _, _, fn = heapq.heappop(self._timers)
                    _run(concurrent.futures.Future(), fn, ())
        finally:
            self.endpoint.hangupAllCalls()
            for _ in range(20):
                self.endpoint.libHandleEvents(POLL_MS)
            for hook in self.on_shutdown:
                _run(concurrent.futures.Future(), hook, ())
            self.endpoint.libDestroy()
            self.endpoint = None

    def _init(self) -> None:
        import pjsua2 as pj

        ep = pj.Endpoint()
        with _quiet_stdout():  # pjlib greets on stdout before its log settings apply
            ep.libCreate()
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = True
        cfg.uaConfig.userAgent = "callcenter-agent-phone"
        cfg.logConfig.level = self.log_level
        cfg.logConfig.consoleLevel = self.log_level
        cfg.medConfig.sndAutoCloseTime = -1
        cfg.medConfig.noVad = True  # send RTP all the time: the engine watches for silence
        cfg.medConfig.ecTailLen = 0
        ep.libInit(cfg)
        transport = pj.TransportConfig()
        transport.port = self.port
        transport.boundAddress = self.host
        transport.publicAddress = self.host
        tid = ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport)
        self.port = ep.transportGetInfo(tid).localName.rsplit(":", 1)[1]
        self.port = int(self.port)
        ep.audDevManager().setNullDev()
        for codec in ep.codecEnum2():
            keep = codec.codecId.startswith(("PCMU/", "PCMA/"))
            ep.codecSetPriority(codec.codecId, 200 if codec.codecId.startswith("PCMU/")
                                else 150 if keep else 0)
        ep.libStart()
        self.endpoint = ep


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _run(future: concurrent.futures.Future, fn: Callable[..., Any], args: tuple) -> None:
    try:
        future.set_result(fn(*args))
    except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on the future
        future.set_exception(exc)
