"""Tone synthesis: sine and dual tones, DTMF digits, and a music-on-hold-like loop."""

from __future__ import annotations

import numpy as np

from callcenter.media.dtmf import dtmf_frequencies

RATE = 8000


def _to_int16(signal: np.ndarray, amplitude: float) -> np.ndarray:
    return np.round(np.clip(signal, -1.0, 1.0) * amplitude * 32767).astype(np.int16)


def sine(freq: float, duration: float, *, rate: int = RATE, amplitude: float = 0.5,
         phase: float = 0.0) -> np.ndarray:
    """A sine tone as int16 samples; ``amplitude`` is a fraction of full scale."""
    t = np.arange(int(round(duration * rate))) / rate
    return _to_int16(np.sin(2 * np.pi * freq * t + phase), amplitude)


def dual_tone(f1: float, f2: float, duration: float, *, rate: int = RATE,
              amplitude: float = 0.5) -> np.ndarray:
    """Two equal-level sines summed (each at half of ``amplitude``)."""
    t = np.arange(int(round(duration * rate))) / rate
    return _to_int16(0.5 * (np.sin(2 * np.pi * f1 * t) + np.sin(2 * np.pi * f2 * t)), amplitude)


def dtmf_tone(digits: str, *, tone: float = 0.1, gap: float = 0.06, rate: int = RATE,
              amplitude: float = 0.5) -> np.ndarray:
    """In-band DTMF for ``digits``: each tone followed by silence."""
    silence = np.zeros(int(round(gap * rate)), dtype=np.int16)
    parts = []
    for digit in digits:
        parts += [dual_tone(*dtmf_frequencies(digit), tone, rate=rate, amplitude=amplitude),
                  silence]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)


def silence(duration: float, *, rate: int = RATE) -> np.ndarray:
    return np.zeros(int(round(duration * rate)), dtype=np.int16)


def music_on_hold(duration: float = 4.0, *, rate: int = RATE, amplitude: float = 0.3) -> np.ndarray:
    """A gentle arpeggio (C major pentatonic notes with soft attack/decay) that loops cleanly."""
    notes = (261.63, 293.66, 329.63, 392.00, 440.00, 392.00, 329.63, 293.66)
    total = int(round(duration * rate))
    per_note = max(1, total // len(notes))
    t = np.arange(per_note) / rate
    envelope = np.minimum(1.0, t / 0.02) * np.exp(-3.0 * t / max(t[-1], 1e-9))
    chunks = []
    for f in notes:
        note = np.sin(2 * np.pi * f * t) + 0.3 * np.sin(2 * np.pi * 2 * f * t)
        chunks.append(note / 1.3 * envelope)
    signal = np.concatenate(chunks)
    signal = np.pad(signal, (0, total - len(signal)))
    return _to_int16(signal, amplitude)
