"""Export built prompts into Asterisk's sound folders: ``sounds/<lang>/callcenter/<key>.wav``,
and the hold music into the folder ``musiconhold.conf`` names.

``STREAM FILE callcenter/<key>`` then finds the prompt in the channel's language. Only
8 kHz mono 16-bit WAV files are exported (what ``callcenter prompts build`` writes and what
Asterisk's ``wav`` format reads); a recording ``<key>.recorded.wav`` beside a prompt replaces
it, conditioned as ``prompts build`` does (any rate, mono, trimmed, normalised). The
seats' confirmation tones are exported for every language. The hold music is the embedded engine's own
(:func:`callcenter.media.tone.music_on_hold`), so callers hear the same over both paths.
"""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

RECORDED = ".recorded.wav"
HOLD_MUSIC_FILE = "callcenter-hold.wav"
HOLD_MUSIC_LOOPS = 8  # Asterisk reopens the file at its end; a longer file does so less often
ASTERISK_LANGUAGES = ("zh", "en", "ja", "ko", "fr", "de", "ru")
SOUNDS_FOLDER = "callcenter"


class PromptExportError(ValueError):
    """A prompt file Asterisk could not play."""


def _check_wav(path: Path) -> None:
    try:
        with wave.open(str(path), "rb") as wav:
            shape = (wav.getframerate(), wav.getnchannels(), wav.getsampwidth())
    except (wave.Error, EOFError) as exc:
        raise PromptExportError(f"{path}: not a WAV file ({exc})") from None
    if shape != (8000, 1, 2):
        raise PromptExportError(f"{path}: {shape[0]} Hz, {shape[1]} channel(s), "
                                f"{8 * shape[2]}-bit; Asterisk needs 8000 Hz mono 16-bit")


def export_prompts(prompts_dir: Path | str, out_dir: Path | str) -> dict[str, int]:
    """Copy ``<prompts>/<lang>/<key>.wav`` to ``<out>/sounds/<lang>/callcenter/``; count per language."""
    prompts_dir, out_dir = Path(prompts_dir), Path(out_dir)
    if not prompts_dir.is_dir():
        raise PromptExportError(f"{prompts_dir}: no such prompts folder")
    counts: dict[str, int] = {}
    for language in ASTERISK_LANGUAGES:
        source = prompts_dir / language
        built = {p.name: p for p in source.glob("*.wav") if not p.name.endswith(RECORDED)}
        recorded = {p.name.removesuffix(RECORDED) + ".wav": p for p in source.glob(f"*{RECORDED}")}
        names = sorted(built.keys() | recorded.keys())
        if not names:
            continue
        target = out_dir / "sounds" / language / SOUNDS_FOLDER
        target.mkdir(parents=True, exist_ok=True)
        for name in names:
            if name in recorded:
                _export_recording(recorded[name], target / name)
            else:
                _check_wav(built[name])
                shutil.copyfile(built[name], target / name)
        counts[language] = len(names)
    return counts


def _export_recording(source: Path, target: Path) -> None:
    """A recording of any rate and channels, conditioned to 8 kHz mono 16-bit as the build does."""
    import soundfile as sf

    from ivr_flows.prompts_build import condition, write_wav

    try:
        audio, rate = sf.read(source, dtype="float64")
        write_wav(target, condition(audio, rate))
    except (sf.LibsndfileError, ValueError, IndexError) as exc:
        raise PromptExportError(f"{source}: not a recording Asterisk can be given ({exc})") from None


def write_wav8k(path: Path, samples: bytes) -> None:
    """8 kHz mono 16-bit little-endian PCM as a WAV file Asterisk's ``wav`` format reads."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(samples)


def export_hold_music(out_dir: Path | str, directory: str) -> Path:
    """Write the hold music into ``<out>/<directory>/`` (musiconhold.conf's ``directory=``)."""
    import numpy as np

    from callcenter.media.tone import music_on_hold

    loop = music_on_hold(rate=8000).astype("<i2")
    target = Path(out_dir) / directory / HOLD_MUSIC_FILE
    write_wav8k(target, np.tile(loop, HOLD_MUSIC_LOOPS).tobytes())
    return target


def seat_tones() -> dict[str, bytes]:
    """File name -> 16-bit samples of the seats' answers to a feature code: the embedded
    engine's confirmation beep, and a falling pair of tones for a refused code."""
    import numpy as np

    from callcenter.asterisk_engine.features import CONFIRMED, REFUSED
    from callcenter.media.tone import silence, sine
    from callcenter.telephony.feature_codes import CONFIRMATION

    refused = np.concatenate([sine(480, 0.15), silence(0.05), sine(360, 0.3)])
    return {f"{CONFIRMED.rpartition('/')[2]}.wav": CONFIRMATION.astype("<i2").tobytes(),
            f"{REFUSED.rpartition('/')[2]}.wav": refused.astype("<i2").tobytes()}


def export_seat_tones(out_dir: Path | str) -> list[Path]:
    """Write the seats' tones into ``sounds/<lang>/callcenter/`` for every language."""
    written = []
    for language in ASTERISK_LANGUAGES:
        for name, samples in seat_tones().items():
            target = Path(out_dir) / "sounds" / language / SOUNDS_FOLDER / name
            write_wav8k(target, samples)
            written.append(target)
    return written
