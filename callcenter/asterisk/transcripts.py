"""Reader for the recorded Asterisk wire transcripts (``tests/fixtures/asterisk/*.txt``).

Line format: ``<< text`` came from Asterisk, ``>> text`` was sent to Asterisk, a bare ``<<`` /
``>>`` is an empty line, ``#`` starts a comment (``# @+S.SSSs`` is the time since connect,
``# ==== title`` starts a new connection, ``# ---- step: name ----`` labels a step, and
``# (Asterisk closed the TCP connection: EOF)`` marks the peer closing). Used by the codec tests
and by fake Asterisk peers that replay one side of a transcript.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

FIXTURES_ENV = "CALLCENTER_ASTERISK_FIXTURES"
RECEIVED = "<<"  # from Asterisk
SENT = ">>"  # to Asterisk

_TIME = re.compile(r"# @\+(?P<seconds>\d+(?:\.\d+)?)s")
_SECTION = re.compile(r"# =+ (?P<title>.*?)\s*=*$")
_STEP = re.compile(r"# -+ step: (?P<name>.*?) -+$")
_EOF = "(Asterisk closed the TCP connection: EOF)"


def fixtures_dir() -> Path:
    """The fixture folder: ``$CALLCENTER_ASTERISK_FIXTURES`` or the repository's own copy."""
    configured = os.environ.get(FIXTURES_ENV)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "asterisk"


@dataclass(frozen=True)
class WireLine:
    """One wire line: ``direction`` is RECEIVED (``<<``) or SENT (``>>``)."""

    direction: str
    text: str
    lineno: int
    at: float | None = None
    step: str | None = None


@dataclass(frozen=True)
class Section:
    """One TCP connection of a transcript (files with ``# ====`` headers hold several)."""

    title: str
    lines: tuple[WireLine, ...]
    closed_by_peer: bool = False

    def received(self) -> list[WireLine]:
        return [line for line in self.lines if line.direction == RECEIVED]

    def sent(self) -> list[WireLine]:
        return [line for line in self.lines if line.direction == SENT]


@dataclass(frozen=True)
class Transcript:
    name: str
    header: tuple[str, ...]
    sections: tuple[Section, ...] = field(default=())

    @property
    def lines(self) -> list[WireLine]:
        return [line for section in self.sections for line in section.lines]


def parse(text: str, name: str = "<transcript>") -> Transcript:
    """Parse transcript text into sections of wire lines."""
    header: list[str] = []
    sections: list[Section] = []
    title, lines, closed = "", [], False
    at: float | None = None
    step: str | None = None
    in_header = True

    def flush() -> None:
        if lines or closed:
            sections.append(Section(title, tuple(lines), closed))

    for lineno, raw in enumerate(text.splitlines(), start=1):
        if raw.startswith("#"):
            in_header = in_header and _SECTION.match(raw) is None and _TIME.match(raw) is None
            if in_header:
                header.append(raw)
            if match := _SECTION.match(raw):
                flush()
                title, lines, closed, at, step = match["title"], [], False, None, None
            elif match := _STEP.match(raw):
                step = match["name"]
            elif match := _TIME.match(raw):
                at = float(match["seconds"])
            elif raw[1:].strip() == _EOF:
                closed = True
            continue
        in_header = False
        direction, text_part = raw[:2], raw[3:]
        if direction not in (RECEIVED, SENT) or (len(raw) > 2 and raw[2] != " "):
            if raw.strip():
                raise ValueError(f"{name}:{lineno}: not a transcript line: {raw!r}")
            continue
        lines.append(WireLine(direction, text_part, lineno, at, step))
    flush()
    return Transcript(name, tuple(header), tuple(sections))


def load(path: str | Path) -> Transcript:
    path = Path(path)
    return parse(path.read_text(encoding="utf-8"), path.name)


def load_fixture(name: str) -> Transcript:
    return load(fixtures_dir() / name)


# ---- AGI view -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AGIStep:
    """A command we sent and the lines Asterisk sent back before our next command."""

    command: str
    replies: tuple[str, ...]


@dataclass(frozen=True)
class AGIScript:
    environment: tuple[str, ...]  # env lines without the terminating empty line
    leading: tuple[str, ...]  # lines received after the env block, before any command
    steps: tuple[AGIStep, ...]
    closed_by_peer: bool


def agi_script(section: Section) -> AGIScript:
    """Group an AGI section into the env block and command/reply steps."""
    env: list[str] = []
    it: Iterator[WireLine] = iter(section.lines)
    for line in it:
        if line.direction != RECEIVED:
            raise ValueError(f"line {line.lineno}: command sent before the env block ended")
        if line.text == "":
            break
        env.append(line.text)
    leading: list[str] = []
    steps: list[AGIStep] = []
    command: str | None = None
    replies: list[str] = []
    for line in it:
        if line.direction == SENT:
            if command is not None:
                steps.append(AGIStep(command, tuple(replies)))
            command, replies = line.text, []
        elif command is None:
            leading.append(line.text)
        else:
            replies.append(line.text)
    if command is not None:
        steps.append(AGIStep(command, tuple(replies)))
    return AGIScript(tuple(env), tuple(leading), tuple(steps), section.closed_by_peer)


# ---- AMI view -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AMIBlock:
    """One AMI message (or the banner) as header lines, without the terminating empty line."""

    direction: str
    lines: tuple[str, ...]
    lineno: int
    at: float | None = None
    step: str | None = None
    is_banner: bool = False

    def headers(self) -> list[tuple[str, str]]:
        pairs = []
        for text in self.lines:
            key, _, value = text.partition(":")
            pairs.append((key, value[1:] if value.startswith(" ") else value))
        return pairs

    def get(self, name: str) -> str | None:
        for key, value in self.headers():
            if key.lower() == name.lower():
                return value
        return None


def ami_blocks(lines: Iterable[WireLine]) -> list[AMIBlock]:
    """Group AMI wire lines into messages; the first received line is the banner."""
    blocks: list[AMIBlock] = []
    pending: dict[str, list[WireLine]] = {RECEIVED: [], SENT: []}
    seen_banner = False
    for line in lines:
        if line.direction == RECEIVED and not seen_banner:
            seen_banner = True
            blocks.append(AMIBlock(RECEIVED, (line.text,), line.lineno, line.at, line.step, True))
            continue
        group = pending[line.direction]
        if line.text == "":
            if group:
                first = group[0]
                texts = tuple(item.text for item in group)
                blocks.append(AMIBlock(line.direction, texts, first.lineno, first.at, first.step))
            group.clear()
        else:
            group.append(line)
    leftovers = [group for group in pending.values() if group]
    if leftovers:
        raise ValueError(f"unterminated AMI message at line {leftovers[0][0].lineno}")
    return blocks


def wire_bytes(texts: Iterable[str], terminator: bytes) -> bytes:
    """Encode lines for the wire (``b"\\n"`` for AGI, ``b"\\r\\n"`` for AMI)."""
    return b"".join(text.encode() + terminator for text in texts)
