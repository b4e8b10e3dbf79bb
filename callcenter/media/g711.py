"""G.711 PCMU (mu-law) and PCMA (A-law) codecs with vectorised numpy lookup tables.

The tables are built once from the ITU-T G.711 segment formulas (as in the classic Sun
reference implementation): encoding indexes a 65536-entry table with the 16-bit sample,
decoding indexes a 256-entry table with the code byte.
"""

from __future__ import annotations

import numpy as np

_SEG_UEND = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])
_SEG_AEND = np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF])
_ULAW_BIAS = 0x84
_ULAW_CLIP = 8159

PCMU_SILENCE = 0xFF
PCMA_SILENCE = 0xD5


def _all_samples() -> np.ndarray:
    return np.arange(-32768, 32768, dtype=np.int64)


def _build_ulaw_encode() -> np.ndarray:
    pcm = _all_samples() >> 2
    mask = np.where(pcm < 0, 0x7F, 0xFF)
    mag = np.minimum(np.abs(pcm), _ULAW_CLIP) + (_ULAW_BIAS >> 2)
    seg = np.searchsorted(_SEG_UEND, mag, side="left")
    code = np.where(seg >= 8, 0x7F,
                    (np.minimum(seg, 7) << 4) | ((mag >> (np.minimum(seg, 7) + 1)) & 0xF))
    return ((code ^ mask) & 0xFF).astype(np.uint8)


def _build_alaw_encode() -> np.ndarray:
    pcm = _all_samples() >> 3
    mask = np.where(pcm >= 0, 0xD5, 0x55)
    mag = np.where(pcm >= 0, pcm, -pcm - 1)
    seg = np.searchsorted(_SEG_AEND, mag, side="left")
    s = np.minimum(seg, 7)
    quant = np.where(s < 2, mag >> 1, mag >> np.maximum(s, 1)) & 0xF
    code = np.where(seg >= 8, 0x7F, (s << 4) | quant)
    return ((code ^ mask) & 0xFF).astype(np.uint8)


def _build_ulaw_decode() -> np.ndarray:
    u = ~np.arange(256, dtype=np.int64) & 0xFF
    t = ((u & 0x0F) << 3) + _ULAW_BIAS
    t <<= (u & 0x70) >> 4
    return np.where(u & 0x80, _ULAW_BIAS - t, t - _ULAW_BIAS).astype(np.int16)


def _build_alaw_decode() -> np.ndarray:
    a = np.arange(256, dtype=np.int64) ^ 0x55
    t = (a & 0x0F) << 4
    seg = (a & 0x70) >> 4
    t = np.where(seg == 0, t + 8, t + 0x108)
    t = np.where(seg > 1, t << np.maximum(seg - 1, 0), t)
    return np.where(a & 0x80, t, -t).astype(np.int16)


ULAW_ENCODE = _build_ulaw_encode()
ALAW_ENCODE = _build_alaw_encode()
ULAW_DECODE = _build_ulaw_decode()
ALAW_DECODE = _build_alaw_decode()


def _index(samples: np.ndarray) -> np.ndarray:
    pcm = np.asarray(samples, dtype=np.int16)
    return pcm.astype(np.int32) + 32768


def ulaw_encode(samples: np.ndarray) -> bytes:
    """16-bit linear samples to PCMU bytes."""
    return ULAW_ENCODE[_index(samples)].tobytes()


def alaw_encode(samples: np.ndarray) -> bytes:
    """16-bit linear samples to PCMA bytes."""
    return ALAW_ENCODE[_index(samples)].tobytes()


def ulaw_decode(data: bytes) -> np.ndarray:
    """PCMU bytes to int16 samples."""
    return ULAW_DECODE[np.frombuffer(data, dtype=np.uint8)]


def alaw_decode(data: bytes) -> np.ndarray:
    """PCMA bytes to int16 samples."""
    return ALAW_DECODE[np.frombuffer(data, dtype=np.uint8)]


def encode(samples: np.ndarray, payload_type: int) -> bytes:
    """Encode for RTP payload type 0 (PCMU) or 8 (PCMA)."""
    if payload_type == 0:
        return ulaw_encode(samples)
    if payload_type == 8:
        return alaw_encode(samples)
    raise ValueError(f"not a G.711 payload type: {payload_type}")


def decode(data: bytes, payload_type: int) -> np.ndarray:
    """Decode an RTP payload of type 0 (PCMU) or 8 (PCMA)."""
    if payload_type == 0:
        return ulaw_decode(data)
    if payload_type == 8:
        return alaw_decode(data)
    raise ValueError(f"not a G.711 payload type: {payload_type}")


ULAW_TO_ALAW = ALAW_ENCODE[ULAW_DECODE.astype(np.int32) + 32768].tobytes()
ALAW_TO_ULAW = ULAW_ENCODE[ALAW_DECODE.astype(np.int32) + 32768].tobytes()


def transcode_table(source_pt: int, target_pt: int) -> bytes | None:
    """A ``bytes.translate`` table from one G.711 law to the other (None: same law)."""
    if source_pt == target_pt:
        return None
    if (source_pt, target_pt) == (0, 8):
        return ULAW_TO_ALAW
    if (source_pt, target_pt) == (8, 0):
        return ALAW_TO_ULAW
    raise ValueError(f"not a G.711 payload type pair: {source_pt}, {target_pt}")
