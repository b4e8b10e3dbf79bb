"""The hotline config: the shipped file loads; broken files fail with file:line messages."""

import subprocess
import sys
from pathlib import Path

import pytest

from acd.engine import ACD
from callcenter.config import ConfigError, load_config
from callcenter.config.loader import default_config_path

GOOD = """\
languages: [zh, en]
services: [general]
lines:
  - {number: "12345", name: x, flow: f, service: general, queues: {zh: q1, en: q2}}
queues:
  - {name: q1, requirements: {zh: 1}}
  - {name: q2, requirements: {en: 3}, strategy: round-robin}
agents:
  - {id: "1", name: a, skills: {zh: 3}}
  - {id: "2", name: b, skills: {zh: 3, en: 4}}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hotline.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "callcenter.cli", *args],
                          capture_output=True, text=True, timeout=60)


def test_shipped_config_is_a_12345_center():
    cfg = load_config()
    assert {line.number for line in cfg.lines} == {"12345", "12315", "12329"}
    assert cfg.languages == ["zh", "en", "ja", "ko", "fr", "de", "ru"]
    assert 35 <= len(cfg.agents) <= 45
    assert any(sum(a.skills.get(lang, 0) >= 3 for lang in cfg.languages) >= 2
               for a in cfg.agents)  # bilingual seats exist
    for lang in cfg.languages:  # every language can be served by someone
        assert any(a.skills.get(lang, 0) >= 4 for a in cfg.agents), lang
    acd = ACD(cfg.queue_specs(), cfg.agent_specs())
    assert set(acd.queue_names) == {q.name for q in cfg.queues}
    assert cfg.route_for("12329", "zh") == "zh-housing-fund"
    assert cfg.route_for("12345", "ru") == "ru-general"


def test_good_config_converts_to_core_specs(tmp_path):
    cfg = load_config(write(tmp_path, GOOD))
    specs = {q.name: q for q in cfg.queue_specs()}
    assert specs["q2"].strategy == "round-robin"
    assert specs["q1"].ring_timeout_seconds == cfg.defaults.ring_timeout_seconds
    assert cfg.agent_specs()[1].skills == {"zh": 3, "en": 4}


@pytest.mark.parametrize(
    "change, line, field, words",
    [
        (("strategy: round-robin", "strategy: fastest"), 7, "queues[1].strategy",
         "'longest-idle-agent'"),
        (("{en: 3}, strategy", "{cooking: 3}, strategy"), 7, "queues[1].requirements.cooking",
         "unknown skill 'cooking'; allowed: zh, en, general"),
        (('{id: "2"', '{id: "1"'), 10, "agents[1].id", "duplicate id '1'"),
        (("{zh: 3, en: 4}", "{zh: 3, en: 9}"), 10, "agents[1].skills.en", "less than or equal to 5"),
        (("languages: [zh, en]", "languages: [zh, en, xx]"), 1, "languages[2]", "'ru'"),
        (("en: q2}", "en: q9}"), 4, "lines[0].queues.en", "unknown queue 'q9'"),
        (("services: [general]", "services: [general]\nbogus: 1"), 3, "bogus", "unknown field"),
        (("services: [general]", "services: [general]\ntransfers: {gateway: pbx.example}"), 3,
         "transfers.gateway", "expected host:port, e.g. 10.1.2.3:5060, got 'pbx.example'"),
    ],
)
def test_broken_config_names_file_line_field(tmp_path, change, line, field, words):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    messages = [str(issue) for issue in info.value.issues]
    assert any(m.startswith(f"{path}:{line}: {field}: ") and words in m for m in messages), messages


def test_invalid_yaml_names_the_line(tmp_path):
    path = write(tmp_path, GOOD + "queues: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert f"{path}:" in str(info.value) and "invalid YAML" in str(info.value)


def test_config_folder_merges_lists_and_keeps_origins(tmp_path):
    (tmp_path / "a.yaml").write_text(GOOD.split("agents:")[0], encoding="utf-8")
    (tmp_path / "b.yaml").write_text(
        'agents:\n  - {id: "7", name: x, skills: {zh: 3}}\n  - {id: "8", name: y, skills: {fr: 3}}\n',
        encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    (issue,) = info.value.issues
    assert str(issue).startswith(f"{tmp_path / 'b.yaml'}:3: agents[1].skills.fr: unknown skill")


def test_cli_config_check_exit_codes(tmp_path):
    ok = cli("config", "check")
    assert ok.returncode == 0, ok.stderr
    assert "lines (3)" in ok.stdout and "agents: 40" in ok.stdout and "zh-general" in ok.stdout
    assert str(default_config_path()).endswith("hotline.yaml")
    for change in (("strategy: round-robin", "strategy: fastest"),
                   ("{en: 3}, strategy", "{cooking: 3}, strategy"),
                   ('{id: "2"', '{id: "1"')):
        bad = cli("config", "check", str(write(tmp_path, GOOD.replace(*change))))
        assert bad.returncode == 2
        assert "config invalid" in bad.stderr and str(tmp_path) in bad.stderr
    missing = cli("config", "check", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_help_lists_commands():
    out = cli("--help")
    assert out.returncode == 0 and "config" in out.stdout
