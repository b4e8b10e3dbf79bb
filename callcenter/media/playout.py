"""Prompt playout as ready-encoded G.711 payloads: each prompt is encoded once per codec.

:class:`PayloadPlayer` is :class:`~callcenter.media.player.PromptPlayer` for the wire: it
hands out 20 ms payload byte strings sliced from a cached encoding, so playing a prompt to
many calls costs no per-frame numpy work.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from callcenter.media import g711
from callcenter.media.player import FRAME_SAMPLES, Source, load_prompt

SILENCE = {0: bytes([g711.PCMU_SILENCE]), 8: bytes([g711.PCMA_SILENCE])}
_CACHE_SIZE = 256
_cache: OrderedDict[tuple, tuple[object, bytes]] = OrderedDict()


def encoded(source: Source, payload_type: int) -> bytes:
    """``source`` encoded for payload type 0 or 8; files are cached by path and mtime."""
    if isinstance(source, np.ndarray):
        key: tuple = ("array", id(source), payload_type)
    else:
        path = Path(source)
        key = ("file", str(path), path.stat().st_mtime_ns, payload_type)
    hit = _cache.get(key)
    if hit is not None and (key[0] == "file" or hit[0] is source):
        _cache.move_to_end(key)
        return hit[1]
    data = g711.encode(load_prompt(source), payload_type)
    _cache[key] = (source if key[0] == "array" else None, data)  # an array is kept alive
    if len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return data


class PayloadPlayer:
    """Plays prompts in sequence as 20 ms G.711 payloads; the last one is silence-padded."""

    def __init__(self, sources: Sequence[Source], payload_type: int, *, loop: bool = False,
                 frame_samples: int = FRAME_SAMPLES) -> None:
        self.payload_type = payload_type
        self.data = b"".join(encoded(s, payload_type) for s in sources)
        self.loop = loop
        self.size = frame_samples
        self.position = 0
        self.interrupted = False

    @property
    def finished(self) -> bool:
        if self.interrupted or not self.data:
            return True
        return not self.loop and self.position >= len(self.data)

    def interrupt(self) -> None:
        self.interrupted = True

    def next_payload(self) -> bytes | None:
        """The next 20 ms payload, or None once finished or interrupted."""
        if self.finished:
            return None
        start, end = self.position, self.position + self.size
        chunk = self.data[start:end]
        if len(chunk) < self.size:
            if self.loop:
                data = self.data * (self.size // len(self.data) + 2)
                chunk = data[start:start + self.size]
                end = end % len(self.data)
            else:
                chunk += SILENCE[self.payload_type] * (self.size - len(chunk))
        self.position = end
        return chunk
