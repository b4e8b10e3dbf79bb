"""The hotline's calls that Asterisk holds when the engine (re)connects to AMI: adopt or record.

An engine that dies leaves its calls to Asterisk: a conversation goes on in its bridge, a
caller the dialplan gave back waits in the fallback queue. Once restarted, the engine lists
the channels (``CoreShowChannels``) and takes stock (:func:`classify` is pure):

* a caller in the lines context bridged with an agent seat, that no live FastAGI session of
  this engine follows, is **adopted**: ``CallAdopted`` in the queue its channel says
  (``CALLCENTER_QUEUE``; else the line's queue for the channel's language), so the seat is
  talking; its end (AMI ``Hangup`` of either side) ends the conversation in the ACD, whose
  record (answered, by that agent) fills in the one closed as lost at start;
* a caller in the fallback context is **recorded**: opened on its line and closed as lost
  (Asterisk's queue, not the engine, serves it) when it hangs up;
* a caller in the lines context without a bridge (its engine died while it rang a seat) is
  logged: when that Dial ends it reaches the fallback, and the next reconnect records it.

Every (re)connect takes stock again: calls already followed are left alone, and a followed
call Asterisk no longer lists (its hangup fell into a link outage) is ended.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field

from acd import events as acd_ev
from callcenter.asterisk import AMIClient, AMIError, AMIMessage
from callcenter.config import HotlineConfig
from callcenter.core_port import Core
from callcenter.records.lifecycle import LOST, CallClosed, CallOpened

from .dialplan import FALLBACK_CONTEXT, LINE_VARIABLE, LINES_CONTEXT, QUEUE_VARIABLE, QUEUED_AT_VARIABLE
from .features import seat_of

log = logging.getLogger(__name__)

_DURATION = re.compile(r"(?:(\d+):)?(\d+):(\d+)")


def duration_seconds(text: str) -> float:
    """``Duration: 00:01:05`` (as ``CoreShowChannel`` gives it) or plain seconds -> 65.0."""
    text = text.strip()
    if text.isdigit():
        return float(text)
    match = _DURATION.fullmatch(text)
    if match is None:
        return 0.0
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return float(hours * 3600 + minutes * 60 + seconds)


@dataclass(frozen=True)
class Channel:
    """One channel as ``CoreShowChannel`` describes it."""

    name: str
    uniqueid: str
    linkedid: str
    context: str
    exten: str
    bridge: str
    language: str
    seconds: float  # how long it has existed

    @classmethod
    def of(cls, message: AMIMessage | Mapping[str, str]) -> Channel:
        return cls(message.get("Channel", ""), message.get("Uniqueid", ""),
                   message.get("Linkedid", ""), message.get("Context", ""),
                   message.get("Exten", ""), message.get("BridgeId", ""),
                   message.get("Language", ""), duration_seconds(message.get("Duration", "")))


@dataclass(frozen=True)
class Conversation:
    """A caller of ``line`` talking with ``agent`` (``seat`` is the agent's channel)."""

    caller: Channel
    seat: Channel
    agent: str
    line: str


@dataclass(frozen=True)
class Stock:
    """What :func:`classify` found."""

    conversations: list[Conversation] = field(default_factory=list)
    fallback: list[Channel] = field(default_factory=list)
    ringing: list[Channel] = field(default_factory=list)


def classify(channels: Iterable[Channel], *, lines: Collection[str],
             agents: Collection[str]) -> Stock:
    """Sort the hotline's callers from the other channels (seats, feature codes, others)."""
    channels = list(channels)
    seats_by_bridge = {c.bridge: c for c in channels
                       if c.bridge and seat_of(c.name) in agents and c.context != LINES_CONTEXT}
    stock = Stock()
    for channel in channels:
        if channel.context == FALLBACK_CONTEXT:
            stock.fallback.append(channel)
        elif channel.context == LINES_CONTEXT and channel.exten in lines:
            seat = seats_by_bridge.get(channel.bridge) if channel.bridge else None
            if seat is None:
                stock.ringing.append(channel)
            else:
                agent = seat_of(seat.name)
                assert agent is not None
                stock.conversations.append(Conversation(channel, seat, agent, channel.exten))
    return stock


@dataclass
class _Followed:
    call_id: str
    line: str
    arrived_at: float
    agent: str | None = None  # adopted conversations only
    seat_uniqueid: str | None = None


class Reconciler:
    """Takes stock over AMI at every (re)connect and follows what it adopted or recorded."""

    def __init__(self, config: HotlineConfig, driver: Core,
                 live_calls: Callable[[], Collection[str]]) -> None:
        self.config = config
        self.driver = driver
        self.live_calls = live_calls  # call ids this engine's FastAGI sessions follow
        self.lines = {line.number: line for line in config.lines}
        self.agents = frozenset(agent.id for agent in config.agents)
        self.followed: dict[str, _Followed] = {}  # caller's uniqueid -> what we follow
        self._gone: set[str] | None = None  # channels hung up while stock is being taken

    EVENTS = ("Hangup",)

    async def take_stock(self, client: AMIClient) -> Stock | None:
        """List the channels and adopt, record or log the hotline's calls among them."""
        # Hangups are noted from the moment the listing is asked for: the client may hand on
        # events that follow the listing before this coroutine resumes.
        self._gone = set()
        try:
            try:
                response = await client.send_action("CoreShowChannels")
            except (AMIError, TimeoutError) as exc:
                log.warning("could not list Asterisk's channels: %s", exc)
                return None
            return await self._take_stock(client, response.events)
        finally:
            self._gone = None

    async def _take_stock(self, client: AMIClient, events: Iterable[AMIMessage]) -> Stock:
        channels = [Channel.of(m) for m in events if m.event == "CoreShowChannel"]
        stock = classify(channels, lines=self.lines.keys(), agents=self.agents)
        listed = {c.uniqueid for c in channels}
        for call_id in [c for c in self.followed if c not in listed]:
            log.warning("call %s ended while AMI was down", call_id)
            self._ended(self.followed.pop(call_id), by_seat=False)
        now = self.driver.clock()
        live = set(self.live_calls())
        for conversation in stock.conversations:
            caller = conversation.caller
            if caller.uniqueid in live or caller.uniqueid in self.followed:
                continue
            await self._adopt(client, conversation, now)
        for channel in stock.fallback:
            if channel.uniqueid not in self.followed:
                await self._record_fallback(client, channel, now)
        for channel in stock.ringing:
            if channel.uniqueid not in live:
                log.warning("call %s (%s) is ringing a seat without its engine; it will reach "
                            "the fallback queue", channel.uniqueid, channel.name)
        return stock

    async def _getvar(self, client: AMIClient, channel: Channel, name: str) -> str:
        try:
            return (await client.getvar(name, channel.name) or "").strip()
        except (AMIError, TimeoutError) as exc:
            log.warning("could not read %s of %s: %s", name, channel.name, exc)
            return ""

    async def _adopt(self, client: AMIClient, conversation: Conversation, now: float) -> None:
        caller, seat = conversation.caller, conversation.seat
        line = self.lines[conversation.line]
        queue = await self._getvar(client, caller, QUEUE_VARIABLE)
        if queue not in {q.name for q in self.config.queues}:
            queue = line.queues.get(caller.language) or next(iter(line.queues.values()))
        queued_at = _epoch(await self._getvar(client, caller, QUEUED_AT_VARIABLE), now)
        arrived_at = now - caller.seconds
        event = acd_ev.CallAdopted(caller.uniqueid, queue, conversation.agent, arrived_at=arrived_at,
                                   answered_at=max(arrived_at, now - seat.seconds),
                                   enqueued_at=queued_at, language=caller.language or None,
                                   line=conversation.line)
        if not self.driver.try_submit(event):
            return
        followed = _Followed(caller.uniqueid, conversation.line, arrived_at, conversation.agent,
                             seat.uniqueid)
        log.warning("adopted call %s on line %s: agent %s has been talking with the caller "
                    "since before this engine started", caller.uniqueid, conversation.line,
                    conversation.agent)
        self._follow(followed, caller, seat)

    async def _record_fallback(self, client: AMIClient, channel: Channel, now: float) -> None:
        line = await self._getvar(client, channel, LINE_VARIABLE)
        if line not in self.lines:
            log.warning("call %s in the fallback queue has no known line (%r); not recorded",
                        channel.uniqueid, line)
            return
        followed = _Followed(channel.uniqueid, line, now - channel.seconds)
        self.driver.publish([CallOpened(channel.uniqueid, line, followed.arrived_at)])
        log.warning("call %s on line %s is in Asterisk's fallback queue (the engine was out); "
                    "recorded as lost when it ends", channel.uniqueid, line)
        self._follow(followed, channel)

    def _follow(self, followed: _Followed, caller: Channel, seat: Channel | None = None) -> None:
        """Follow the call until its hangup, which may have come while we looked it up."""
        gone = self._gone or set()
        if caller.uniqueid in gone or (seat is not None and seat.uniqueid in gone):
            self._ended(followed, by_seat=seat is not None and seat.uniqueid in gone)
        else:
            self.followed[caller.uniqueid] = followed

    def handle(self, message: AMIMessage) -> None:
        """AMI ``Hangup``: a followed call's caller or seat is gone."""
        uniqueid = message.get("Uniqueid", "")
        followed = self.followed.pop(uniqueid, None)
        by_seat = False
        if followed is None:
            for call_id, candidate in self.followed.items():
                if candidate.seat_uniqueid == uniqueid:
                    followed, by_seat = self.followed.pop(call_id), True
                    break
        if followed is not None:
            self._ended(followed, by_seat=by_seat)
        elif self._gone is not None:
            self._gone.add(uniqueid)

    def _ended(self, followed: _Followed, *, by_seat: bool) -> None:
        if followed.agent is None:
            self.driver.publish([CallClosed(followed.call_id, followed.line, LOST,
                                            followed.arrived_at, self.driver.clock())])
            return
        if self.driver.acd.call_state(followed.call_id) is None:
            return
        if by_seat:
            self.driver.try_submit(acd_ev.AgentHungUp(followed.agent))
        else:
            self.driver.try_submit(acd_ev.CallerHungUp(followed.call_id))


def _epoch(text: str, now: float) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 0 < value <= now else None
