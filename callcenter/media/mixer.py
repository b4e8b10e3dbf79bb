"""A conference mixer for G.711 parties (the three-way call, 三方通话): pure and sans-IO.

Each party's 20 ms frames are put in as they arrive (:meth:`Mixer.put`); on every packet
time the driver calls :meth:`Mixer.mix`, which takes at most one frame per party (a party with
none contributes silence: a late or missing stream never holds the others back), sums every
party's audio, and gives each party the sum minus its own voice, clipped to 16 bits and
encoded in that party's law (PCMU or PCMA). A party whose frames pile up (it sends faster
than the clock, or in a burst after a stall) keeps only the newest few, so its delay stays
bounded.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable

import numpy as np

from callcenter.media import g711

FRAME = 160  # samples in 20 ms at 8 kHz
MAX_QUEUED = 3  # frames kept per party (60 ms): older ones are dropped
SILENCE = np.zeros(FRAME, dtype=np.int32)


class _Party:
    __slots__ = ("payload_type", "frames")

    def __init__(self, payload_type: int) -> None:
        self.payload_type = payload_type
        self.frames: deque[np.ndarray] = deque(maxlen=MAX_QUEUED)


class Mixer:
    """Mixes any number of parties (three for the three-way call), keyed by any hashable."""

    def __init__(self) -> None:
        self._parties: dict[Hashable, _Party] = {}

    @property
    def parties(self) -> list[Hashable]:
        return list(self._parties)

    def add(self, party: Hashable, payload_type: int) -> None:
        """A party joins, hearing and heard in ``payload_type`` (0 PCMU, 8 PCMA)."""
        g711.encode(np.zeros(1, np.int16), payload_type)  # ValueError: not G.711
        self._parties[party] = _Party(payload_type)

    def remove(self, party: Hashable) -> None:
        self._parties.pop(party, None)

    def put(self, party: Hashable, payload: bytes, payload_type: int) -> bool:
        """One frame received from ``party``; False (and ignored) when it is not one of
        the parties or not G.711 audio (a telephone-event, comfort noise)."""
        state = self._parties.get(party)
        if state is None or payload_type not in (0, 8) or not payload:
            return False
        samples = g711.decode(payload[:FRAME], payload_type).astype(np.int32)
        if len(samples) < FRAME:
            samples = np.pad(samples, (0, FRAME - len(samples)))
        state.frames.append(samples)
        return True

    def mix(self) -> dict[Hashable, bytes]:
        """One packet time: each party's frame to send (the others' voices)."""
        taken = {party: state.frames.popleft() if state.frames else SILENCE
                 for party, state in self._parties.items()}
        total = sum(taken.values(), np.zeros(FRAME, dtype=np.int32))
        return {party: g711.encode(np.clip(total - own, -32768, 32767).astype(np.int16),
                                   self._parties[party].payload_type)
                for party, own in taken.items()}
