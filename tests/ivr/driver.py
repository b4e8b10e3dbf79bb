"""A hand-advanced clock around one ``FlowRun``: feed events at given times, log commands."""

from __future__ import annotations

from ivr_flows import commands as c
from ivr_flows import events as e
from ivr_flows.interpreter import FlowRun


class Call:
    def __init__(self, flows, flow: str, **kwargs) -> None:
        self.run = FlowRun(flows, flow, **kwargs)
        self.now = 0.0
        self.log: list[tuple[float, object]] = []

    def _feed(self, at: float, out: list[c.Command]) -> list[c.Command]:
        self.log.extend((at, cmd) for cmd in out)
        return out

    def send(self, event: e.Event, at: float) -> list[c.Command]:
        self.advance(at)
        return self._feed(at, self.run.handle(event, at))

    def start(self, at: float = 0.0, line: str | None = None) -> list[c.Command]:
        self.now = at
        return self.send(e.CallStarted(line=line), at)

    def press(self, digit: str, at: float) -> list[c.Command]:
        return self.send(e.DigitPressed(digit), at)

    def press_all(self, keys: str, at: float, gap: float = 0.3) -> list[c.Command]:
        out: list[c.Command] = []
        for i, key in enumerate(keys):
            out += self.press(key, at + i * gap)
        return out

    def prompt_done(self, at: float) -> list[c.Command]:
        """The prompt now playing finished at ``at``."""
        assert self.run.playing is not None, "nothing is playing"
        return self.send(e.PromptFinished(self.run.playing), at)

    def hang_up(self, at: float) -> list[c.Command]:
        return self.send(e.CallerHungUp(), at)

    def advance(self, to: float) -> list[c.Command]:
        """Move the clock to ``to``, firing every deadline on the way."""
        assert to >= self.now, "time runs forward"
        out: list[c.Command] = []
        while (deadline := self.run.next_deadline()) is not None and deadline <= to:
            out += self._feed(deadline, self.run.on_timer(deadline))
        self.now = to
        return out

    def played(self, out: list[c.Command]) -> list[tuple[str, str]]:
        """(key, language) of the prompts in the ``PlayPrompts`` among ``out``."""
        return [(i.key, i.language) for cmd in out if isinstance(cmd, c.PlayPrompts)
                for i in cmd.items if isinstance(i, c.Prompt)]


def only(out: list[c.Command], kind: type):
    found = [cmd for cmd in out if isinstance(cmd, kind)]
    assert len(found) == 1, f"expected one {kind.__name__} in {out}"
    return found[0]
