"""Prompt build: every key in every language, 8 kHz mono, plausible length, not silent."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from ivr_flows.catalogue import load_catalogue
from ivr_flows.prompts_build import (
    SAMPLE_RATE,
    EspeakMissing,
    build_prompts,
    condition,
    text_hash,
)
from ivr_flows.time_model import replay
from ivr_flows.timing import PromptDurations, estimate_seconds

TINY = """\
voices: {en: en-us}
prompts:
  hello: {en: Hello there.}
  bye: {en: Goodbye.}
"""


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "catalogue.yaml"
    path.write_text(TINY, encoding="utf-8")
    return load_catalogue(path)


def test_every_key_and_language_has_a_file(built_prompts, catalogue):
    languages = list(catalogue.voices)
    assert len(languages) == 7
    assert len(built_prompts.prompts) == len(catalogue.texts) * 7
    for key in catalogue.texts:
        for lang in languages:
            info = sf.info(built_prompts.out / lang / f"{key}.wav")
            assert (info.samplerate, info.channels, info.subtype) == (SAMPLE_RATE, 1, "PCM_16")


def test_each_prompt_lasts_a_plausible_time_and_is_not_silent(built_prompts, catalogue):
    for prompt in built_prompts.prompts:
        audio, rate = sf.read(built_prompts.out / prompt.file)
        assert rate == SAMPLE_RATE and audio.ndim == 1
        seconds = len(audio) / rate
        expected = estimate_seconds(catalogue.text(prompt.key, prompt.language), prompt.language)
        assert 0.35 * expected <= seconds <= 1.8 * expected, (prompt, expected)
        assert np.sqrt(np.mean(audio**2)) > 0.03, prompt
        assert np.max(np.abs(audio)) == pytest.approx(0.7, abs=0.01)


def test_manifest_matches_the_files(built_prompts):
    manifest = json.loads((built_prompts.out / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["prompts"]) == len(built_prompts.prompts)
    entry = manifest["prompts"][0]
    assert entry["seconds"] == pytest.approx(sf.info(built_prompts.out / entry["file"]).duration,
                                             abs=0.001)


def test_second_build_comes_from_the_cache(built_prompts, catalogue):
    again = build_prompts(catalogue, built_prompts.out, languages=["en", "zh"])
    assert again.count("cache") == len(catalogue.texts) * 2
    assert again.count("synthesised") == 0


def test_mandarin_caller_reaches_the_queue_within_seconds(built_prompts, flows):
    durations = PromptDurations.from_manifest(built_prompts.out / "manifest.json")
    greeting = durations.seconds[("welcome_12345", "zh")] + durations.seconds[
        ("other_languages", "en")]
    assert greeting < 5.0
    run = replay(flows, "line_12345", durations=durations)
    assert run.outcome.kind == "enqueued"
    assert run.seconds == pytest.approx(greeting + 1.5)


def test_recording_beside_a_prompt_replaces_the_synthesised_one(tmp_path, tiny):
    t = np.arange(int(1.2 * 44100)) / 44100
    tone = np.concatenate([np.zeros(22050), 0.3 * np.sin(2 * np.pi * 440 * t)])
    stereo = np.stack([tone, tone], axis=1)
    recorded = tmp_path / "out" / "en" / "hello.recorded.wav"
    recorded.parent.mkdir(parents=True)
    sf.write(recorded, stereo, 44100)
    report = build_prompts(tiny, tmp_path / "out")
    sources = {p.key: p.source for p in report.prompts}
    assert sources == {"hello": "recorded", "bye": "synthesised"}
    audio, rate = sf.read(tmp_path / "out" / "en" / "hello.wav")
    assert rate == SAMPLE_RATE and audio.ndim == 1
    assert len(audio) / rate == pytest.approx(1.2 + 0.05, abs=0.02)  # leading silence trimmed


def test_missing_espeak_names_the_package(tmp_path, tiny):
    with pytest.raises(EspeakMissing, match="install the Debian package espeak-ng"):
        build_prompts(tiny, tmp_path / "out", espeak="espeak-ng-not-installed")


def test_cache_key_follows_text_and_voice():
    assert text_hash("Hello", "en-us") != text_hash("Hello!", "en-us")
    assert text_hash("Hello", "en-us") != text_hash("Hello", "en-gb")
    assert text_hash("Hello", "en-us") == text_hash("Hello", "en-us")


def test_condition_trims_resamples_and_normalises():
    rate = 22050
    silence = np.zeros(rate)
    t = np.arange(rate // 2) / rate
    voice = 0.2 * np.sin(2 * np.pi * 300 * t)
    out = condition(np.concatenate([silence, voice, silence]), rate)
    assert len(out) / SAMPLE_RATE == pytest.approx(0.5 + 0.1, abs=0.01)
    assert np.max(np.abs(out)) == pytest.approx(0.7)
    with pytest.raises(ValueError, match="silent"):
        condition(np.zeros(100), rate)


def test_catalogue_is_complete_and_japanese_is_written_in_kana(catalogue):
    assert catalogue.missing(tuple(catalogue.voices)) == []
    for key, texts in catalogue.texts.items():
        kanji = [ch for ch in texts["ja"] if "\u4e00" <= ch <= "\u9fff"]
        assert kanji == [], f"{key}: espeak-ng's ja voice spells kanji out as Chinese letters"


def test_a_prompt_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    """A build that dies mid-write (or another process reading meanwhile) never leaves a
    half-written prompt under the real name: the old file stays as it was."""
    from ivr_flows import prompts_build

    target = tmp_path / "zh" / "greeting.wav"
    prompts_build.write_wav(target, np.zeros(800))
    before = target.read_bytes()

    def dies_halfway(path, *args, **kwargs):
        Path(path).write_bytes(b"RIFF")
        raise OSError("disk full")

    monkeypatch.setattr(prompts_build.sf, "write", dies_halfway)
    with pytest.raises(OSError, match="disk full"):
        prompts_build.write_wav(target, np.ones(800))
    assert target.read_bytes() == before
    assert [p.name for p in target.parent.iterdir()] == ["greeting.wav"]
    assert target.stat().st_mode & 0o777 == 0o644
