"""A scripted fake Asterisk channel speaking FastAGI over loopback.

The env block is the recorded one (``agi_env_block.txt``) with the request path, channel and
uniqueid of the call; replies have the recorded shapes: ``200 result=0 endpos=N`` for STREAM
FILE, the digit's ASCII code for keys, ``200 result=-1`` then ``HANGUP`` when the caller hangs
up during a command, an unsolicited ``HANGUP`` line otherwise, ``511`` on a dead channel for
all but the commands res_agi allows there, and a last ``HANGUP`` when the server half-closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
from collections.abc import Awaitable, Callable

from callcenter.asterisk.agi_commands import split_command
from callcenter.asterisk.transcripts import agi_script
from callcenter.asterisk_engine.dialplan import LINES_CONTEXT

from ..asterisk.fixtures import transcript

READ_TIMEOUT = 10.0
DEAD = "511 Command Not Permitted on a dead channel or intercept routine"
ALLOWED_WHEN_DEAD = ("SET VARIABLE", "GET VARIABLE", "GET FULL VARIABLE", "VERBOSE", "NOOP", "EXEC")
_ids = itertools.count(1)

Dial = Callable[["FakeChannel", list[str]], Awaitable[list[str]]]


@functools.cache
def recorded_environment() -> tuple[tuple[str, str], ...]:
    section = transcript("agi_env_block.txt").sections[0]
    pairs = []
    for line in agi_script(section).environment:
        key, _, value = line.partition(": ")
        pairs.append((key, value))
    return tuple(pairs)


class FakeChannel:
    """One channel running ``AGI(agi://127.0.0.1:<port>/<path>)``.

    ``keys`` are ``(command prefix, digit)`` pressed in order when a command accepting keys
    matches the prefix; ``hangup_on`` hangs up during the first command with that prefix;
    ``dial`` answers ``EXEC Dial`` (it gets the parsed words); ``missing_sounds`` are files
    Asterisk does not have. ``context`` is the dialplan context running the AGI (a trunk's
    caller runs in the rendered lines context, as recorded in ``live/agi_12345_to_agent.txt``).
    ``source`` is the address the channel's Asterisk connects from.
    """

    def __init__(self, port: int, path: str, *, channel: str = "PJSIP/trunk",
                 context: str = LINES_CONTEXT, uniqueid: str | None = None,
                 callerid: str = "5551000", max_wait: float = 0.05,
                 keys: list[tuple[str, str]] | None = None, hangup_on: str | None = None,
                 dial: Dial | None = None, missing_sounds: frozenset[str] = frozenset(),
                 source: str = "127.0.0.1") -> None:
        number = next(_ids)
        self.source = source  # the address Asterisk connects from
        self.port = port
        self.path = path
        self.channel = channel if "-" in channel else f"{channel}-{number:08x}"
        self.uniqueid = uniqueid or f"1795810548.{number}"
        self.callerid = callerid
        self.context = context
        self.max_wait = max_wait
        self.keys = list(keys or [])
        self.hangup_on = hangup_on
        self.dial = dial
        self.missing_sounds = missing_sounds
        self.commands: list[str] = []
        self.variables: dict[str, str] = {}
        self.dead = False
        self.gone = asyncio.Event()
        self._writer: asyncio.StreamWriter | None = None
        # Read the recorded env block here, in the test's own code: a missing fixture then
        # fails the test at once instead of killing the task that runs the channel.
        self._environment = recorded_environment()

    def environment(self) -> list[str]:
        replace = {
            "agi_network_script": self.path,
            "agi_request": f"agi://127.0.0.1:{self.port}/{self.path}",
            "agi_channel": self.channel,
            "agi_uniqueid": self.uniqueid,
            "agi_callerid": self.callerid,
            "agi_context": self.context,
            "agi_extension": self.path.rpartition("/")[2],
        }
        return [f"{k}: {replace.get(k, v)}" for k, v in self._environment]

    def _write(self, lines: list[str]) -> None:
        assert self._writer is not None
        self._writer.write("".join(f"{line}\n" for line in lines).encode())

    async def run(self) -> None:
        """Connect, send the env block and answer commands until the server closes."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port, local_addr=(self.source, 0))
        self._writer = writer
        try:
            self._write([*self.environment(), ""])
            while True:
                raw = await asyncio.wait_for(reader.readline(), READ_TIMEOUT)
                if not raw:  # the server half-closed: Asterisk's last HANGUP, then EOF
                    self._write(["HANGUP"])
                    await writer.drain()
                    return
                command = raw.decode().removesuffix("\n")
                self.commands.append(command)
                self._write(await self._reply(command))
                await writer.drain()
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    def hang_up(self) -> None:
        """The caller hangs up now (no command in flight: an unsolicited HANGUP line)."""
        if not self.dead:
            self.dead = True
            self.gone.set()
            self._write(["HANGUP"])

    def _key(self, command: str) -> str | None:
        if self.keys and command.startswith(self.keys[0][0]):
            return self.keys.pop(0)[1]
        return None

    async def _reply(self, command: str) -> list[str]:
        words = split_command(command)
        if self.dead:
            if not command.startswith(ALLOWED_WHEN_DEAD):
                return [DEAD]
            if command.startswith("HANGUP"):
                return [DEAD]
        elif self.hangup_on and command.startswith(self.hangup_on):
            self.hangup_on = None
            self.dead = True
            self.gone.set()
            return ["200 result=-1 endpos=8160" if command.startswith("STREAM") else "200 result=-1",
                    "HANGUP"]
        if command == "ANSWER":
            return ["200 result=0"]
        if command.startswith("SET VARIABLE"):
            self.variables[words[2]] = words[3]
            return ["200 result=1"]
        if command.startswith("GET VARIABLE"):
            value = self.variables.get(words[2])
            return ["200 result=0"] if value is None else [f"200 result=1 ({value})"]
        if command.startswith("STREAM FILE"):
            if words[2] in self.missing_sounds:
                return ["200 result=-1 endpos=0"]  # as recorded for a missing file
            digit = self._key(command) if len(words) > 3 and words[3] else None
            return [f"200 result={ord(digit)} endpos=5920"] if digit else ["200 result=0 endpos=11234"]
        if command.startswith("WAIT FOR DIGIT"):
            digit = self._key(command)
            if digit:
                return [f"200 result={ord(digit)}"]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.gone.wait(), min(int(words[3]) / 1000, self.max_wait))
            return ["200 result=-1"] if self.dead else ["200 result=0"]
        if command.startswith(("SAY DIGITS", "SAY NUMBER")):
            return ["200 result=0"]
        if command.startswith("EXEC"):
            if words[1] == "Dial" and not self.dead:
                return await (self.dial or no_answer)(self, words)
            return ["200 result=0"]
        if command.startswith("HANGUP"):
            self.dead = True
            self.gone.set()
            return ["200 result=1", "HANGUP"]
        return ["510 Invalid or unknown command"]


def dial_target(words: list[str]) -> tuple[str, float]:
    """``EXEC Dial PJSIP/1001,12,U(...)`` -> ("1001", 12.0)."""
    target, timeout, *_ = words[2].split(",")
    return target.removeprefix("PJSIP/"), float(timeout)


async def no_answer(channel: FakeChannel, words: list[str]) -> list[str]:
    """The seat rings for the whole Dial timeout."""
    _, timeout = dial_target(words)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(channel.gone.wait(), timeout)
    if channel.dead:
        return ["200 result=-1", "HANGUP"]
    channel.variables["DIALSTATUS"] = "NOANSWER"
    return ["200 result=0"]


def answering(talk: float = 0.2, *, caller_hangs_up: bool = False,
              seats: dict[str, FakeChannel] | None = None, until: asyncio.Event | None = None) -> Dial:
    """A Dial where the seat answers (running the answered hook), talks (``talk`` seconds, or
    until ``until`` is set), and one side hangs up."""

    async def dial(channel: FakeChannel, words: list[str]) -> list[str]:
        agent, _ = dial_target(words)
        options = words[2].split(",")[2]  # m(default)U(callcenter-answered^<call id>)
        call_id = options.partition("U(callcenter-answered^")[2].removesuffix(")")
        seat = FakeChannel(channel.port, f"answered/{call_id}", channel=f"PJSIP/{agent}")
        if seats is not None:
            seats[agent] = seat
        await seat.run()
        channel.variables["DIALSTATUS"] = "ANSWER"
        if seat.variables.get("GOSUB_RESULT") == "CONTINUE":
            return ["200 result=0"]
        await (until.wait() if until is not None else asyncio.sleep(talk))
        if caller_hangs_up:
            channel.dead = True
            channel.gone.set()
            return ["200 result=-1", "HANGUP"]
        return ["200 result=-1"]  # the seat hung up; the caller's channel lives on

    return dial
