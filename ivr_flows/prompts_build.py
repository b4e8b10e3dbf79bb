"""Synthesise the prompt catalogue into 8 kHz mono 16-bit WAV files with espeak-ng.

Layout under ``out``: ``<language>/<key>.wav`` for adapters, ``.cache/<hash>.wav`` keyed by
text, voice and pipeline so unchanged prompts are never synthesised twice, and
``manifest.json`` with each file's duration (the IVR time model reads it). A recording
placed beside a prompt as ``<language>/<key>.recorded.wav`` replaces the synthesised one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from ivr_flows.catalogue import Catalogue

SAMPLE_RATE = 8000
PEAK = 0.7  # about -3 dBFS
SILENCE = 0.02  # of the peak: quieter edges are trimmed
PADDING = 0.05  # seconds of silence kept at each end
SPEED = 190  # espeak-ng words per minute: brisk, as IVR prompts are
PIPELINE = "espeak-8k-trim-norm-1"
DEFAULT_OUT = Path("var") / "prompts"


class EspeakMissing(RuntimeError):
    def __init__(self, command: str) -> None:
        super().__init__(
            f"'{command}' not found: install the Debian package espeak-ng "
            "(apt-get install espeak-ng) to synthesise prompts"
        )


@dataclass(frozen=True, slots=True)
class BuiltPrompt:
    key: str
    language: str
    file: str
    """Relative to the output folder."""
    seconds: float
    source: str
    """``synthesised``, ``cache`` or ``recorded``."""


@dataclass(frozen=True)
class BuildReport:
    out: Path
    prompts: list[BuiltPrompt]
    elapsed: float

    def count(self, source: str) -> int:
        return sum(1 for p in self.prompts if p.source == source)

    def summary(self) -> str:
        return (f"{len(self.prompts)} prompts in {self.out}: {self.count('synthesised')} "
                f"synthesised, {self.count('cache')} from cache, {self.count('recorded')} "
                f"recorded, in {self.elapsed:.1f} s")


def text_hash(text: str, voice: str, speed: int = SPEED) -> str:
    blob = json.dumps([PIPELINE, voice, speed, text], ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()[:20]


def condition(audio: np.ndarray, rate: int) -> np.ndarray:
    """Mono, trimmed, resampled to 8 kHz and peak-normalised."""
    if audio.ndim > 1:
        audio = audio.mean(axis=1)
    audio = audio.astype(np.float64)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak == 0.0:
        raise ValueError("the audio is silent")
    loud = np.flatnonzero(np.abs(audio) > SILENCE * peak)
    pad = int(PADDING * rate)
    audio = audio[max(loud[0] - pad, 0): loud[-1] + pad + 1]
    if rate != SAMPLE_RATE:
        g = gcd(rate, SAMPLE_RATE)
        audio = resample_poly(audio, SAMPLE_RATE // g, rate // g)
    return audio * (PEAK / float(np.max(np.abs(audio))))


def synthesise(text: str, voice: str, espeak: str = "espeak-ng", speed: int = SPEED) -> np.ndarray:
    """Speak ``text`` with espeak-ng and return the conditioned 8 kHz signal."""
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "out.wav"
        result = subprocess.run(
            [espeak, "-b", "1", "-v", voice, "-s", str(speed), "-w", str(wav), text],
            capture_output=True, text=True, check=False,
        )
        if result.returncode != 0 or not wav.exists():
            raise RuntimeError(f"espeak-ng failed for voice '{voice}': {result.stderr.strip()}")
        audio, rate = sf.read(wav, dtype="float64")
    return condition(audio, rate)


def write_wav(path: Path, audio: np.ndarray) -> None:
    """Write ``path`` whole or not at all: another process building the same prompts (a second
    ``serve``, a test) never sees a half-written file."""
    with _replacing(path) as partial:
        sf.write(partial, audio, SAMPLE_RATE, subtype="PCM_16", format="WAV")


def _copy(source: Path, target: Path) -> None:
    with _replacing(target) as partial:
        shutil.copyfile(source, partial)


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A temporary name beside ``path``, moved over it (atomically) once written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    partial = Path(name)
    partial.chmod(0o644)  # prompts are read by others (an Asterisk beside the engine)
    try:
        yield partial
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def build_prompts(
    catalogue: Catalogue,
    out: Path | str = DEFAULT_OUT,
    languages: Iterable[str] | None = None,
    espeak: str = "espeak-ng",
    workers: int = 2,
) -> BuildReport:
    """Build every key in every language; returns what was done and how long it took."""
    started = time.perf_counter()
    out = Path(out)
    cache = out / ".cache"
    cache.mkdir(parents=True, exist_ok=True)
    languages = list(languages or catalogue.voices)
    missing = catalogue.missing(tuple(languages))
    if missing:
        raise ValueError("\n".join(missing))
    jobs = [(key, lang) for key in catalogue.texts for lang in languages]

    def cache_file(key: str, lang: str) -> Path:
        return cache / f"{text_hash(catalogue.text(key, lang), catalogue.voices[lang])}.wav"

    need_espeak = any(
        not (out / lang / f"{key}.recorded.wav").exists() and not cache_file(key, lang).exists()
        for key, lang in jobs
    )
    if need_espeak and shutil.which(espeak) is None:
        raise EspeakMissing(espeak)

    def one(job: tuple[str, str]) -> BuiltPrompt:
        key, lang = job
        target = out / lang / f"{key}.wav"
        recorded = out / lang / f"{key}.recorded.wav"
        if recorded.exists():
            audio, rate = sf.read(recorded, dtype="float64")
            write_wav(target, condition(audio, rate))
            source = "recorded"
        else:
            cached = cache_file(key, lang)
            source = "cache"
            if not cached.exists():
                audio = synthesise(catalogue.text(key, lang), catalogue.voices[lang], espeak)
                write_wav(cached, audio)
                source = "synthesised"
            _copy(cached, target)
        seconds = sf.info(target).duration
        return BuiltPrompt(key, lang, f"{lang}/{key}.wav", round(seconds, 3), source)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        built = list(pool.map(one, jobs))
    if set(languages) >= set(catalogue.voices):  # a full build: drop stale cache entries
        used = {cache_file(key, lang).name for key, lang in jobs}
        for stale in cache.glob("*.wav"):
            if stale.name not in used:
                stale.unlink()
    _write_manifest(out, catalogue, built)
    return BuildReport(out, built, time.perf_counter() - started)


def _write_manifest(out: Path, catalogue: Catalogue, built: list[BuiltPrompt]) -> None:
    """Write ``manifest.json``, keeping earlier entries for languages not built this time."""
    path = out / "manifest.json"
    entries = {(b.key, b.language): asdict(b) for b in built}
    if path.exists():
        for old in json.loads(path.read_text(encoding="utf-8")).get("prompts", []):
            slot = (old["key"], old["language"])
            still_valid = old["key"] in catalogue.texts and (out / old["file"]).exists()
            if slot not in entries and still_valid:
                entries[slot] = old
    manifest = {"sample_rate": SAMPLE_RATE, "prompts": sorted(
        entries.values(), key=lambda e: (e["language"], e["key"]))}
    with _replacing(path) as partial:
        partial.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
