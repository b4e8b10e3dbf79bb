"""``callcenter asterisk-config``: secrets from env or file only, private files, prompt export."""

from __future__ import annotations

import stat
import wave

import numpy as np
from click.testing import CliRunner

from agents.feature_codes import FEATURE_CODES
from callcenter.asterisk_engine.features import CONFIRMED, REFUSED, answer_prompts
from callcenter.cli import main
from callcenter.config import load_config
from callcenter.telephony.feature_codes import CONFIRMATION
from ivr_flows.engine_prompts import FEATURE_PROMPTS
from sip_config import check_all, parse_conf
from sip_config.check import dialplan
from sip_config.prompts_export import ASTERISK_LANGUAGES

AGENTS = [agent.id for agent in load_config().agents]


def secrets_file(tmp_path, *, ami: bool = True, skip: str | None = None, mode: int = 0o600):
    lines = [f"{agent} = pw-{agent}-k9" for agent in AGENTS if agent != skip]
    path = tmp_path / "secrets"
    path.write_text(("ami = ami-from-file\n" if ami else "") + "\n".join(lines) + "\n")
    path.chmod(mode)
    return path


def run(*args: str, env: dict[str, str] | None = None):
    clean = {"CALLCENTER_AMI_SECRET": "", **{f"CALLCENTER_SIP_PASSWORD_{a}": "" for a in AGENTS}}
    return CliRunner().invoke(main, ["asterisk-config", *args], env={**clean, **(env or {})})


def write_wav(path, rate: int = 8000, *, channels: int = 1, tone: float = 0.0) -> None:
    """0.1 s of silence, or of a ``tone`` Hz sine."""
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(rate // 10) / rate
    samples = np.round(8000 * np.sin(2 * np.pi * tone * t)).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(np.repeat(samples, channels).tobytes())


def read_wav(path) -> tuple[tuple[int, int, int], np.ndarray]:
    with wave.open(str(path), "rb") as wav:
        shape = (wav.getframerate(), wav.getnchannels(), wav.getsampwidth())
        return shape, np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")


def test_missing_ami_secret_exits_2_naming_the_variable(tmp_path):
    result = run("--out", str(tmp_path / "out"), "--secrets", str(secrets_file(tmp_path, ami=False)))
    assert result.exit_code == 2
    assert "CALLCENTER_AMI_SECRET" in result.output and "secrets" in result.output
    assert not (tmp_path / "out").exists()


def test_missing_seat_password_exits_2_naming_the_agent(tmp_path):
    result = run("--out", str(tmp_path / "out"), "--secrets", str(secrets_file(tmp_path, skip="1007")))
    assert result.exit_code == 2
    assert "CALLCENTER_SIP_PASSWORD_1007" in result.output


def test_no_secrets_at_all_exits_2(tmp_path):
    result = run("--out", str(tmp_path / "out"))
    assert result.exit_code == 2 and "CALLCENTER_AMI_SECRET" in result.output


def test_a_secrets_file_readable_by_others_is_refused(tmp_path):
    result = run("--out", str(tmp_path / "out"), "--secrets", str(secrets_file(tmp_path, mode=0o644)))
    assert result.exit_code == 2 and "chmod 600" in result.output


def test_renders_private_files_and_exports_prompts(tmp_path):
    prompts = tmp_path / "prompts"
    write_wav(prompts / "zh" / "welcome_12345.wav")
    write_wav(prompts / "en" / "please_hold.wav")
    write_wav(prompts / "en" / "please_hold.recorded.wav", rate=44100, channels=2, tone=440)
    write_wav(prompts / "ja" / "goodbye.recorded.wav", rate=16000, tone=440)  # recorded only
    out = tmp_path / "out"
    result = run("--out", str(out), "--secrets", str(secrets_file(tmp_path)), "--prompts", str(prompts),
                 env={"CALLCENTER_AMI_SECRET": "ami-from-env"})
    assert result.exit_code == 0, result.output
    files = {p.name: p.read_text() for p in out.glob("*.conf")}
    assert set(files) == {"pjsip.conf", "extensions.conf", "manager.conf", "musiconhold.conf",
                          "queues.conf", "confbridge.conf"}
    assert check_all(files, load_config()) == []
    manager = parse_conf(files["manager.conf"])
    assert manager.get(manager.named("callcenter")[0], "secret") == "ami-from-env"  # env wins
    for name in ("pjsip.conf", "manager.conf"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600
    assert (out / "sounds" / "zh" / "callcenter" / "welcome_12345.wav").is_file()
    exported = out / "sounds" / "en" / "callcenter"
    assert sorted(p.name for p in exported.iterdir()) == [
        "please_hold.wav", "seat_ok.wav", "seat_refused.wav"]
    for path in (exported / "please_hold.wav", out / "sounds" / "ja" / "callcenter" / "goodbye.wav"):
        shape, audio = read_wav(path)  # the recording, conditioned, replaces the synthesised prompt
        assert shape == (8000, 1, 2) and np.abs(audio).max() > 20000


def test_a_recording_that_cannot_be_read_is_refused_naming_it(tmp_path):
    prompts = tmp_path / "prompts"
    (prompts / "zh").mkdir(parents=True)
    (prompts / "zh" / "welcome_12345.recorded.wav").write_bytes(b"not audio")
    result = run("--out", str(tmp_path / "out"), "--secrets", str(secrets_file(tmp_path)),
                 "--prompts", str(prompts))
    assert result.exit_code == 2 and "welcome_12345.recorded.wav" in result.output
    assert "Traceback" not in result.output


def test_every_sound_the_seats_and_the_dialplan_play_is_exported_in_every_language(tmp_path):
    """Seats heard Asterisk's English core sounds (none exist for zh); now only our own play:
    the catalogue's feature prompts (with --prompts), else our tones, always exported."""
    spoken = {prompt for feature in FEATURE_CODES.values() for done in (True, False)
              for prompt in answer_prompts(feature, done)[:1]}
    assert {p.split("/")[1] for p in spoken} == set(FEATURE_PROMPTS)  # *15 too, as embedded
    prompts = tmp_path / "prompts"
    for language in ASTERISK_LANGUAGES:
        for key in (*FEATURE_PROMPTS, "system_error"):
            write_wav(prompts / language / f"{key}.wav", tone=440)
    out = tmp_path / "out"
    result = run("--out", str(out), "--secrets", str(secrets_file(tmp_path)), "--prompts", str(prompts))
    assert result.exit_code == 0, result.output
    plan = dialplan(parse_conf((out / "extensions.conf").read_text()))
    played = {step.args.split(",")[0] for context in plan.values() for steps in context.values()
              for step in steps if step.app == "Playback"}
    assert played == {"callcenter/system_error"}
    for language in ASTERISK_LANGUAGES:
        for sound in played | spoken | {CONFIRMED, REFUSED}:
            shape, audio = read_wav(out / "sounds" / language / f"{sound}.wav")
            assert shape == (8000, 1, 2) and np.abs(audio).max() > 1000, (language, sound)
    _, ok = read_wav(out / "sounds" / "zh" / f"{CONFIRMED}.wav")
    assert np.array_equal(ok, CONFIRMATION)  # the embedded engine's beep


def test_every_hold_music_folder_holds_music_asterisk_can_play(tmp_path):
    """An empty moh/ made Asterisk disable music on hold at load: queued callers heard silence."""
    out = tmp_path / "out"
    result = run("--out", str(out), "--secrets", str(secrets_file(tmp_path)))
    assert result.exit_code == 0, result.output
    moh = parse_conf((out / "musiconhold.conf").read_text())
    classes = [s for s in moh.sections if s.name != "general"]
    assert classes
    for section in classes:
        assert moh.get(section, "mode") == "files"
        folder = out / moh.get(section, "directory")
        files = sorted(folder.glob("*.wav"))
        assert files, f"class {section.name}: nothing to play in {folder}"
        for path in files:
            with wave.open(str(path), "rb") as wav:
                assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
                assert wav.getnframes() >= 8000 * 10
                audio = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
            assert 1000 < np.abs(audio).max() < 32767  # audible, not clipped


def test_the_rtp_timeout_is_the_engines_setting(tmp_path):
    out = tmp_path / "out"
    result = run("--out", str(out), "--secrets", str(secrets_file(tmp_path)), "--rtp-timeout", "12")
    assert result.exit_code == 0, result.output
    pjsip = parse_conf((out / "pjsip.conf").read_text())
    assert {pjsip.get(e, "rtp_timeout") for e in pjsip.of_type("endpoint")} == {"12"}
