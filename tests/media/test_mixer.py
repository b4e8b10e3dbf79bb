"""The three-way call's mixer: each party hears the other two and not itself, in its own
G.711 law; a silent or late party holds no one back; loud voices clip instead of wrapping;
a burst from one party is cut to the newest frames."""

from __future__ import annotations

import numpy as np
import pytest

from callcenter.media import g711
from callcenter.media.dtmf import tone_ratio
from callcenter.media.mixer import FRAME, MAX_QUEUED, Mixer
from callcenter.media.tone import sine

TONES = {"caller": (500.0, 0), "agent": (900.0, 8), "department": (1400.0, 0)}


def frames(freq: float, payload_type: int, count: int) -> list[bytes]:
    audio = sine(freq, count * FRAME / 8000, amplitude=0.25)
    return [g711.encode(audio[i * FRAME:(i + 1) * FRAME], payload_type) for i in range(count)]


def heard(outputs: list[dict], party: str) -> np.ndarray:
    return np.concatenate([g711.decode(out[party], TONES[party][1]) for out in outputs])


def three() -> Mixer:
    mixer = Mixer()
    for party, (_, payload_type) in TONES.items():
        mixer.add(party, payload_type)
    return mixer


def test_each_party_hears_the_other_two_and_not_itself():
    mixer = three()
    sent = {party: frames(freq, pt, 25) for party, (freq, pt) in TONES.items()}
    outputs = []
    for n in range(25):
        for party, (_, pt) in TONES.items():
            assert mixer.put(party, sent[party][n], pt)
        outputs.append(mixer.mix())
    for party in TONES:
        audio = heard(outputs, party)
        assert len(audio) == 25 * FRAME
        for other, (freq, _) in TONES.items():
            ratio = tone_ratio(audio, 8000, freq)
            if other == party:
                assert ratio < 0.02, (party, "hears itself")
            else:
                assert ratio > 0.3, (party, "does not hear", other)


def test_a_missing_party_holds_no_one_back():
    mixer = three()
    caller, agent = frames(500.0, 0, 10), frames(900.0, 8, 10)
    outputs = []
    for n in range(10):  # the department sends nothing at all
        mixer.put("caller", caller[n], 0)
        mixer.put("agent", agent[n], 8)
        outputs.append(mixer.mix())
    assert tone_ratio(heard(outputs, "caller"), 8000, 900.0) > 0.9
    assert tone_ratio(heard(outputs, "agent"), 8000, 500.0) > 0.9
    department = heard(outputs, "department")
    assert tone_ratio(department, 8000, 500.0) > 0.3 and tone_ratio(department, 8000, 900.0) > 0.3
    # a frame that arrives late is used on the next tick; nothing waits for it
    silent = mixer.mix()
    assert np.abs(g711.decode(silent["department"], 0)).max() < 100


def test_loud_voices_clip_instead_of_wrapping():
    mixer = three()
    loud = g711.encode(np.full(FRAME, 30000, np.int16), 0)
    mixer.put("caller", loud, 0)
    mixer.put("agent", g711.encode(np.full(FRAME, 30000, np.int16), 8), 8)
    out = g711.decode(mixer.mix()["department"], 0)
    assert out.min() > 30000  # 60000 clipped to the top, not wrapped round to negative


def test_a_burst_keeps_the_newest_frames_and_odd_input_is_ignored():
    mixer = three()
    burst = [g711.encode(np.full(FRAME, 1000 * (n + 1), np.int16), 0) for n in range(10)]
    for payload in burst:
        mixer.put("caller", payload, 0)
    levels = [int(np.median(g711.decode(mixer.mix()["agent"], 8))) for _ in range(MAX_QUEUED + 1)]
    assert levels[:MAX_QUEUED] == pytest.approx([8000, 9000, 10000], rel=0.05)
    assert abs(levels[-1]) < 50  # then silence: no backlog
    assert not mixer.put("stranger", burst[0], 0)
    assert not mixer.put("caller", b"\x00" * 4, 101)  # a telephone-event is not audio
    short = mixer.put("caller", burst[0][:80], 0)  # a 10 ms frame is padded
    assert short and len(mixer.mix()["agent"]) == FRAME
    mixer.remove("department")
    assert set(mixer.mix()) == {"caller", "agent"}
    with pytest.raises(ValueError):
        mixer.add("g722", 9)
