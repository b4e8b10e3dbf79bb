"""A child process hosting a slice of a run's seats (``callcenter loadtest --seat-processes``).

It speaks JSON lines with the load generator. On stdin: first the job, ``{"job": SeatJob,
"seats": [[agent id, password], ...], "slot": n}``; then answers to its requests,
``{"req": n, "ok": true|false, "error": "..."}``; then ``{"op": "stop"}`` (or end of input, or
SIGTERM). On stdout: requests ``{"op": "login"|"ready"|"logout", "agent": id, "req": n}``
(the generator logs agents in, so no API token reaches the child), ``{"event": "started"}`` or
``{"event": "error", "message": ...}`` once the seats are registered, ``{"event": "talking"|
"idle", "agent": id}`` as conversations start and end, and at the stop ``{"event": "stats",
"seats": [SeatStats, ...]}`` before exiting. A SIGKILL ends it without a word.

    python -m simulator.loadtest.seat_worker < job.json
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import signal
import sys
from dataclasses import asdict

from simulator.loadtest.pacer import Pacer
from simulator.loadtest.seat_pool import SeatJob, build_seats, start_seats

LOGIN_TIMEOUT = 30.0


def emit(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


class PipeControl:
    """Asks the load generator to log agents in and make them ready."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future] = {}

    async def login(self, agent_id: str) -> None:
        req = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._pending[req] = future
        emit({"op": "login", "agent": agent_id, "req": req})
        reply = await asyncio.wait_for(future, LOGIN_TIMEOUT)
        if not reply.get("ok"):
            raise RuntimeError(reply.get("error") or f"login of agent {agent_id} refused")

    async def ready(self, agent_id: str) -> None:
        emit({"op": "ready", "agent": agent_id, "req": next(self._ids)})

    async def logout(self, agent_id: str) -> None:
        emit({"op": "logout", "agent": agent_id, "req": next(self._ids)})

    def answered(self, reply: dict) -> None:
        future = self._pending.pop(int(reply["req"]), None)
        if future is not None and not future.done():
            future.set_result(reply)


async def stdin_reader() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 26)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def serve() -> int:
    reader = await stdin_reader()
    first = await reader.readline()
    if not first:
        return 2
    data = json.loads(first)
    job = SeatJob.from_json(data["job"])
    control = PipeControl()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stopping.set)

    async def listen() -> None:
        while line := await reader.readline():
            message = json.loads(line)
            if message.get("op") == "stop":
                break
            if "req" in message:
                control.answered(message)
        stopping.set()

    def talk(agent_id: str, talking: bool) -> None:
        emit({"event": "talking" if talking else "idle", "agent": agent_id})

    listening = asyncio.ensure_future(listen())
    pacer = Pacer()
    pacing = asyncio.ensure_future(pacer.run())
    seats = build_seats(job, [tuple(p) for p in data["seats"]], control, pacer,
                        stream=1 + int(data.get("slot", 0)), on_talk=talk)
    errors = await start_seats(seats, job)
    if errors:
        emit({"event": "error", "message": f"{len(errors)} of {len(seats)} seats could not "
                                           f"start: {errors[0]}"})
    else:
        emit({"event": "started"})
        await stopping.wait()
    pacing.cancel()
    listening.cancel()
    for seat in seats:
        with contextlib.suppress(Exception):
            await seat.close()
    emit({"event": "stats", "seats": [asdict(s.stats) for s in seats]})
    return 1 if errors else 0


def main() -> None:
    logging.basicConfig(level=logging.ERROR, format="seat worker %(levelname)s %(name)s: "
                                                    "%(message)s")
    raise SystemExit(asyncio.run(serve()))


if __name__ == "__main__":
    main()
