"""Prompt player framing, looping, interruption; tone generators."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile

from callcenter.media.dtmf import detect_tone
from callcenter.media.player import PromptFormatError, PromptPlayer
from callcenter.media.tone import music_on_hold, sine


def test_wav_files_and_arrays_become_padded_frames(tmp_path):
    first = tmp_path / "welcome.wav"
    soundfile.write(first, sine(440, 0.25), 8000, subtype="PCM_16")
    second = np.arange(100, dtype=np.int16)
    frames = list(PromptPlayer([first, second]))
    total = 2000 + 100
    assert len(frames) == -(-total // 160)
    assert all(f.samples.shape == (160,) and f.samples.dtype == np.int16 for f in frames)
    assert [f.timestamp for f in frames] == [160 * i for i in range(len(frames))]
    joined = np.concatenate([f.samples for f in frames])
    assert np.array_equal(joined[:2000], sine(440, 0.25))
    assert np.array_equal(joined[2000:2100], second)
    assert not joined[2100:].any()
    assert frames[-1].last and not any(f.last for f in frames[:-1])


def test_wrong_rate_rejected(tmp_path):
    path = tmp_path / "wideband.wav"
    soundfile.write(path, np.zeros(1600, dtype=np.int16), 16000, subtype="PCM_16")
    with pytest.raises(PromptFormatError):
        PromptPlayer([path])


def test_loop_for_music_on_hold_and_interrupt():
    moh = music_on_hold(1.0)
    player = PromptPlayer([moh], loop=True)
    frames = [player.next_frame() for _ in range(120)]  # 2.4 s from a 1 s loop
    joined = np.concatenate([f.samples for f in frames])
    assert np.array_equal(joined[8000:16000], moh)
    assert frames[-1].timestamp == 119 * 160
    player.interrupt()
    assert player.finished and player.next_frame() is None


def test_tones():
    tone = sine(1000, 0.5, amplitude=0.25)
    assert len(tone) == 4000 and abs(int(tone.max()) - 8192) < 5
    assert detect_tone(tone, 8000, 1000)
    moh = music_on_hold(2.0)
    assert len(moh) == 16000 and 1000 < np.abs(moh).max() < 32767
    assert np.abs(moh.astype(np.int32)).mean() > 300
