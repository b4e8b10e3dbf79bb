"""Prompt player: turns WAV files or sample arrays into 20 ms frames with RTP timestamps.

Pure and clock-free: the caller asks for the next frame every packet time. Supports
looping (music on hold) and interruption (barge-in, DTMF).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FRAME_SAMPLES = 160
RATE = 8000

Source = str | Path | np.ndarray


class PromptFormatError(ValueError):
    """A prompt file that is not 8 kHz mono."""


def load_prompt(source: Source, rate: int = RATE) -> np.ndarray:
    """Samples of one prompt as int16; files must be mono WAV at ``rate``."""
    if isinstance(source, np.ndarray):
        if source.ndim != 1:
            raise PromptFormatError("prompt arrays must be one-dimensional")
        if source.dtype == np.int16:
            return source
        if np.issubdtype(source.dtype, np.floating):
            return np.round(np.clip(source, -1.0, 1.0) * 32767).astype(np.int16)
        return source.astype(np.int16)
    import soundfile

    data, file_rate = soundfile.read(str(source), dtype="int16", always_2d=True)
    if file_rate != rate:
        raise PromptFormatError(f"{source}: {file_rate} Hz, expected {rate} Hz")
    if data.shape[1] != 1:
        raise PromptFormatError(f"{source}: {data.shape[1]} channels, expected mono")
    return data[:, 0]


@dataclass(frozen=True)
class Frame:
    """One packet's worth of audio; ``timestamp`` counts samples from the start of playback."""

    samples: np.ndarray
    timestamp: int
    index: int
    last: bool = False


class PromptPlayer:
    """Plays prompts in sequence as fixed-size frames; the last frame is zero-padded."""

    def __init__(self, sources: Sequence[Source], *, loop: bool = False,
                 frame_samples: int = FRAME_SAMPLES, rate: int = RATE) -> None:
        prompts = [load_prompt(s, rate) for s in sources]
        self.audio = np.concatenate(prompts) if prompts else np.zeros(0, dtype=np.int16)
        self.loop = loop
        self.frame_samples = frame_samples
        self.position = 0
        self.index = 0
        self.interrupted = False

    @property
    def finished(self) -> bool:
        if self.interrupted or len(self.audio) == 0:
            return True
        return not self.loop and self.position >= len(self.audio)

    @property
    def duration(self) -> float:
        """Length of one pass in seconds."""
        return len(self.audio) / RATE

    def interrupt(self) -> None:
        """Stop playback; no further frames are produced."""
        self.interrupted = True

    def next_frame(self) -> Frame | None:
        """The next frame, or None once finished or interrupted."""
        if self.finished:
            return None
        n = self.frame_samples
        total = len(self.audio)
        if self.loop:
            idx = (self.position + np.arange(n)) % total
            samples = self.audio[idx]
            last = False
        else:
            samples = self.audio[self.position : self.position + n]
            if len(samples) < n:
                samples = np.pad(samples, (0, n - len(samples)))
            last = self.position + n >= total
        frame = Frame(samples, self.index * n, self.index, last)
        self.position = (self.position + n) % total if self.loop else self.position + n
        self.index += 1
        return frame

    def __iter__(self) -> Iterator[Frame]:
        while (frame := self.next_frame()) is not None:
            yield frame
