"""The call objects of a hotline with its real ACD on a hand-advanced clock, no sockets.

``World`` plays the adapter: it carries out ``ToAcd`` on the ACD (reporting refusals), hands
the ACD's commands to the calls they concern, answers plug-in queries and logs every command.
Prompts, dials and hang-ups happen only when a test says so.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterable

from acd import commands as acd_cmd
from acd.engine import ACD, ACDError
from acd.events import AgentLoggedIn, WrapUpDone
from agents.seat import IllegalTransition as SeatRefused
from agents.seat import Presence
from callcenter.config import HotlineConfig, load_config
from calls import commands as c
from calls import events as e
from calls.call import Call, CallSettings
from ivr_flows.catalogue import load_catalogue
from ivr_flows.commands import RunQuery
from ivr_flows.loader import FlowSet, load_for_config
from ivr_flows.plugins import PluginRegistry, default_registry
from ivr_flows.timing import PromptDurations

CALLER = "13800138000"


@functools.cache
def _shipped() -> tuple[HotlineConfig, FlowSet, PromptDurations]:
    """The shipped config, its flows and the prompts' estimated durations (loaded once)."""
    config = load_config()
    return (config, load_for_config(config, default_registry()),
            PromptDurations.estimated(load_catalogue()))


class World:
    def __init__(self, config: HotlineConfig | None = None, flows: FlowSet | None = None,
                 registry: PluginRegistry | None = None, **settings) -> None:
        shipped = _shipped()
        self.config = config or shipped[0]
        self.registry = registry or default_registry()
        self.flows = flows or shipped[1]
        self.acd = ACD(self.config.queue_specs(), self.config.agent_specs(), rng=random.Random(7))
        settings.setdefault("durations", shipped[2])
        self.settings = CallSettings(self.flows, queue=self.acd, **settings)
        self.lines = {line.number: line.flow for line in self.config.lines}
        self.now = 0.0
        self.calls: dict[str, Call] = {}
        self.log: list[tuple[float, str, object]] = []
        self.records: list[acd_cmd.CallRecord] = []
        self.refused: list[object] = []
        self._seq = 0

    # ---- driving ----------------------------------------------------------------------------

    def arrive(self, line: str = "12345", number: str | None = CALLER, flow: str | None = None) -> Call:
        self._seq += 1
        call = Call(f"c{self._seq}", line, flow or self.lines[line], self.settings)
        self.calls[call.call_id] = call
        self.send(call, e.Arrived(caller=number, number=number))
        return call

    def send(self, call: Call, event, at: float | None = None) -> list[c.Command]:
        if at is not None:
            self.advance(at)
        return self._carry_out(call, call.handle(event, self.now))

    def login(self, *agents: str) -> None:
        for agent in agents:
            if self.acd.seat(agent).presence is Presence.LOGGED_OUT:
                self._acd_out(self.acd.handle(AgentLoggedIn(agent, ready=True), self.now))

    def wrap_up_done(self, agent: str) -> None:
        self._acd_out(self.acd.handle(WrapUpDone(agent), self.now))

    def advance(self, to: float) -> None:
        """Move the clock to ``to``, firing every due deadline (calls' and the ACD's) on the way."""
        assert to >= self.now
        while True:
            due = [d for d in (self.acd.next_deadline(),
                               *(call.next_deadline() for call in self.calls.values()))
                   if d is not None and d <= to]
            if not due:
                break
            self.now = max(self.now, min(due))
            if (d := self.acd.next_deadline()) is not None and d <= self.now:
                self._acd_out(self.acd.on_timer(self.now))
            for call in list(self.calls.values()):
                if (d := call.next_deadline()) is not None and d <= self.now:
                    self._carry_out(call, call.on_timer(self.now))
        self.now = to

    def finish_play(self, call: Call, at: float | None = None) -> list[c.Command]:
        """The prompt the caller hears now plays to its end."""
        play = self.playing(call)
        assert play is not None, f"nothing plays on {call.call_id}"
        return self.send(call, e.PlayDone(play.play_id), at)

    def keys(self, call: Call, keys: str, at: float | None = None) -> list[c.Command]:
        out: list[c.Command] = []
        for key in keys:
            out += self.send(call, e.Digit(key), at)
            at = None
        return out

    # ---- looking ----------------------------------------------------------------------------

    def commands(self, call: Call, kind: type | None = None) -> list:
        return [cmd for _, cid, cmd in self.log if cid == call.call_id
                and (kind is None or isinstance(cmd, kind))]

    def playing(self, call: Call) -> c.Play | None:
        """The last ``Play`` not yet done or stopped."""
        done: set[int] = set()
        for _, cid, cmd in self.log:
            if cid == call.call_id and isinstance(cmd, c.StopPlay):
                done.add(cmd.play_id)
        for _, cid, cmd in reversed(self.log):
            if cid != call.call_id:
                continue
            if isinstance(cmd, c.Play) and cmd.play_id not in done and \
                    cmd.play_id in call._plays:
                return cmd
            if isinstance(cmd, c.StartMoh | c.Bridge | c.HangUp):
                return None
        return None

    def heard(self, call: Call) -> list[str]:
        return [item.key for cmd in self.commands(call, c.Play) for item in cmd.items
                if hasattr(item, "key")]

    def entries(self, call: Call, kind: type) -> list:
        return [cmd.entry for cmd in self.commands(call, c.Record) if isinstance(cmd.entry, kind)]

    def acd_events(self, call: Call, kind: type | None = None) -> list:
        return [cmd.event for cmd in self.commands(call, c.ToAcd)
                if kind is None or isinstance(cmd.event, kind)]

    def record(self, call: Call) -> acd_cmd.CallRecord | None:
        found = [r for r in self.records if r.call_id == call.call_id]
        assert len(found) <= 1
        return found[0] if found else None

    # ---- the adapter's part -------------------------------------------------------------------

    def _carry_out(self, call: Call, commands: Iterable[c.Command]) -> list[c.Command]:
        done: list[c.Command] = []
        for command in commands:
            self.log.append((self.now, call.call_id, command))
            done.append(command)
            if isinstance(command, c.ToAcd):
                try:
                    out = self.acd.handle(command.event, self.now)
                except (ACDError, SeatRefused):
                    self.refused.append(command.event)
                    done += self._carry_out(call, call.handle(e.AcdRefused(command.event), self.now))
                else:
                    self._acd_out(out)
            elif isinstance(command, RunQuery):
                done += self._carry_out(call, call.handle(self.registry.answer(command), self.now))
        return done

    def _acd_out(self, commands: Iterable[acd_cmd.Command]) -> None:
        for command in commands:
            if isinstance(command, acd_cmd.CallFinished):
                self.records.append(command.record)
                call_id = command.record.call_id
            elif isinstance(command, acd_cmd.AgentStateChanged):
                continue
            else:
                call_id = command.call_id
            call = self.calls.get(str(call_id))
            if call is not None:
                self._carry_out(call, call.handle(command, self.now))
