"""G.711 tables checked against audioop (when importable) and ITU reference properties."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from callcenter.media import g711

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import audioop
    except ImportError:  # removed in Python 3.13
        audioop = None

ALL = np.arange(-32768, 32768, dtype=np.int16)
CODES = bytes(range(256))
needs_audioop = pytest.mark.skipif(audioop is None, reason="audioop not available (Python 3.13+)")


@needs_audioop
def test_encoders_match_audioop_for_every_sample():
    assert g711.ulaw_encode(ALL) == audioop.lin2ulaw(ALL.tobytes(), 2)
    assert g711.alaw_encode(ALL) == audioop.lin2alaw(ALL.tobytes(), 2)


@needs_audioop
def test_decoders_match_audioop_for_every_code():
    assert g711.ulaw_decode(CODES).tobytes() == audioop.ulaw2lin(CODES, 2)
    assert g711.alaw_decode(CODES).tobytes() == audioop.alaw2lin(CODES, 2)


@pytest.mark.parametrize("pt", [0, 8])
def test_itu_reference_properties(pt):
    decoded = g711.decode(CODES, pt).astype(np.int64)
    # 256 distinct codes decode to 255 (mu-law: +0 and -0) or 256 levels.
    assert len(set(decoded.tolist())) == (255 if pt == 0 else 256)
    # Re-encoding a decoded level gives back a code that decodes to the same level.
    again = g711.decode(g711.encode(decoded.astype(np.int16), pt), pt)
    assert np.array_equal(again, decoded)
    # Encoding is monotonic in the decoded domain.
    levels = g711.decode(g711.encode(ALL, pt), pt).astype(np.int64)
    assert np.all(np.diff(levels) >= 0)
    # Quantisation error stays within half a step of the largest segment.
    assert np.max(np.abs(levels - ALL.astype(np.int64))) <= (1024 if pt == 8 else 2048)


def test_silence_codes_and_extremes():
    zero = np.zeros(1, dtype=np.int16)
    assert g711.ulaw_encode(zero) == bytes([g711.PCMU_SILENCE])
    assert g711.alaw_encode(zero) == bytes([g711.PCMA_SILENCE])
    assert g711.ulaw_decode(bytes([0x00]))[0] == -32124
    assert g711.ulaw_decode(bytes([0x80]))[0] == 32124
    assert g711.alaw_decode(bytes([0xAA]))[0] == 32256
    assert g711.alaw_decode(bytes([0x2A]))[0] == -32256


def test_snr_of_a_speech_level_tone():
    t = np.arange(8000) / 8000
    x = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    for pt in (0, 8):
        y = g711.decode(g711.encode(x, pt), pt).astype(np.float64)
        noise = y - x
        snr = 10 * np.log10(np.sum(x.astype(np.float64) ** 2) / np.sum(noise**2))
        assert snr > 30  # G.711 gives ~38 dB for mid-level signals


def test_unknown_payload_type():
    with pytest.raises(ValueError):
        g711.encode(ALL[:10], 18)
