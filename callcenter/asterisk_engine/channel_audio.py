"""Prompts and keys on one AGI channel: the IVR's ``PlayPrompts`` as ``STREAM FILE``/``SAY``.

Prompts live in Asterisk's sound folders as ``<lang>/callcenter/<key>``; the channel's language
(``CHANNEL(language)``) is switched to each prompt's language before it plays. With barge-in the
prompts are streamed with every key as an escape digit, and the key pressed is reported.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging

from callcenter.asterisk import AGICommandFailed, AGISession
from callcenter.asterisk import CallerHungUp as ChannelGone
from callcenter.asterisk.agi_responses import digit_from_code
from ivr_flows import commands as ivr_cmd
from ivr_flows import events as ivr_ev
from ivr_flows.say import number_prompts

log = logging.getLogger(__name__)

SOUNDS = "callcenter"
DTMF = "0123456789*#"
NATIVE_SAY_LANGUAGES = frozenset({"en", "fr", "ru", "ja"})
"""Languages of Asterisk's core sound packages that our lines use (no zh, ko or de sounds)."""


class ChannelAudio:
    """What one channel hears, and the keys it presses while it hears it."""

    def __init__(self, session: AGISession) -> None:
        self.session = session
        self.language: str | None = None  # the channel's CHANNEL(language) as we last set it
        self.unplayed: ivr_cmd.PlayPrompts | None = None
        """The rest of the last playback a key stopped (from the item it stopped), if any."""

    async def set_language(self, language: str) -> None:
        if language != self.language:
            await self.session.set_variable("CHANNEL(language)", language)
            self.language = language

    async def play(self, command: ivr_cmd.PlayPrompts) -> ivr_ev.Event:
        """Play the items; a key pressed during a barge-in prompt stops it and is reported."""
        escape = DTMF if command.barge_in else ""
        self.unplayed = None
        for index, item in enumerate(command.items):
            if isinstance(item, ivr_cmd.Number):
                digit = await self.say(item, escape)
            else:
                digit = await self.stream(item, escape)
            if digit is not None:
                self.unplayed = dataclasses.replace(command, items=command.items[index:])
                return ivr_ev.DigitPressed(digit)
        return ivr_ev.PromptFinished(command.play_id)

    def resumption(self, waiting_for: int | None) -> ivr_cmd.PlayPrompts | None:
        """The stopped playback to play on when the IVR still waits for it (the key was not
        a barge-in, such as the ``#`` after a full-length entry)."""
        unplayed, self.unplayed = self.unplayed, None
        if unplayed is not None and unplayed.play_id == waiting_for:
            return unplayed
        return None

    async def stream(self, prompt: ivr_cmd.Prompt, escape: str = "") -> str | None:
        """Play one prompt; a missing prompt is logged and skipped."""
        await self.set_language(prompt.language)
        try:
            return (await self.session.stream_file(f"{SOUNDS}/{prompt.key}", escape)).digit
        except AGICommandFailed:
            log.warning("prompt %s/%s/%s missing in Asterisk's sounds", prompt.language, SOUNDS,
                        prompt.key)
            return None

    async def say(self, item: ivr_cmd.Number, escape: str = "") -> str | None:
        """SAY DIGITS/NUMBER where Asterisk ships number sounds, else the catalogue's digits."""
        value = item.value.strip()
        native = {"digits": "SAY DIGITS", "number": "SAY NUMBER"}.get(item.style)
        if native and value.isdigit() and item.language in NATIVE_SAY_LANGUAGES:
            await self.set_language(item.language)
            spoken = value if item.style == "digits" else str(int(value))
            return await self._say_native(f'{native} {spoken} "{escape}"')
        for prompt in number_prompts(item):
            digit = await self.stream(prompt, escape)
            if digit is not None:
                return digit
        return None

    async def _say_native(self, line: str) -> str | None:
        response = await self.session.send(line)
        code = response.result_int or 0
        if code < 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.session.wait_for_hangup(), 0.25)
            if self.session.hangup_received:
                raise ChannelGone(f"{line!r} -> result={code} and the channel hung up")
            return None
        return digit_from_code(code)
