"""Every prompt key named anywhere is checked against the catalogue for every enabled language:
the config's escalation prompts, the flows of its lines and the engine's own announcements."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from callcenter.cli import main
from callcenter.config import ConfigError, load_config
from callcenter.config.loader import default_config_path
from ivr_flows.catalogue import CATALOGUE_PATH, load_catalogue
from ivr_flows.engine_prompts import ENGINE_PROMPTS

REPO = Path(__file__).resolve().parents[2]
SHIPPED = default_config_path().read_text(encoding="utf-8")


def config_with(tmp_path: Path, old: str, new: str) -> Path:
    assert old in SHIPPED
    path = tmp_path / "hotline.yaml"
    path.write_text(SHIPPED.replace(old, new, 1), encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_the_shipped_config_names_only_prompts_the_catalogue_has():
    catalogue = load_catalogue()
    config = load_config()
    named = {step.announce or step.overflow_message for queue in config.queues
             for step in queue.escalation if step.announce or step.overflow_message}
    assert {"all_agents_busy", "leave_message"} <= named
    for key in named | set(ENGINE_PROMPTS):
        assert catalogue.problem(key, config.languages) is None


@pytest.mark.parametrize("command", [("config", "check"), ("flows", "check", "--config")])
def test_an_unknown_escalation_prompt_is_named_with_file_line_and_field(tmp_path, command):
    path = config_with(tmp_path, "announce: all_agents_busy", "announce: all_agents_bsy")
    result = CliRunner().invoke(main, [*command, str(path)])
    assert result.exit_code == 2
    assert (f"{path}:{line_of(path, 'all_agents_bsy')}: queues[0].escalation[1].announce: "
            f"unknown prompt 'all_agents_bsy' (not in catalogue.yaml)") in result.output


def catalogue_without(tmp_path: Path, key: str, language: str) -> Path:
    data = yaml.safe_load(CATALOGUE_PATH.read_text(encoding="utf-8"))
    del data["prompts"][key][language]
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_an_engine_prompt_missing_in_an_enabled_language_is_refused(tmp_path):
    catalogue = load_catalogue(catalogue_without(tmp_path, "position_in_queue", "ru"))
    with pytest.raises(ConfigError) as info:
        load_config(None, catalogue)
    (issue,) = info.value.issues
    assert str(issue).startswith(f"{default_config_path()}:")
    assert ("languages: prompt 'position_in_queue' has no text for enabled language 'ru' "
            "(catalogue.yaml:") in str(issue)
    assert str(issue).endswith("the engine plays it for the hold announcement")


def test_flows_check_looks_the_config_up_in_its_own_catalogue(tmp_path):
    path = catalogue_without(tmp_path, "all_agents_busy", "de")
    result = CliRunner().invoke(main, ["flows", "check", "--catalogue", str(path)])
    assert result.exit_code == 2
    assert "queues[0].escalation[1].announce: prompt 'all_agents_busy' has no text for " \
           "enabled language 'de'" in result.output


def test_config_check_checks_the_flows_of_its_lines(tmp_path):
    """Line 12329's flow routes to zh-housing-fund; a config without that queue is broken."""
    path = config_with(tmp_path, "queues: {zh: zh-housing-fund}",
                       "queues: {zh: zh-general}")
    path.write_text(re.sub(r"  - name: zh-housing-fund\n(    .*\n|      .*\n)+", "",
                           path.read_text(encoding="utf-8")), encoding="utf-8")
    result = CliRunner().invoke(main, ["config", "check", str(path)])
    assert result.exit_code == 2, result.output
    assert "node 'agent': unknown queue 'zh-housing-fund'" in result.output


def test_every_prompt_the_engine_code_names_is_an_engine_prompt():
    """A new ``Prompt("key", ...)`` in engine code must be listed, or no check would see it."""
    named = set()
    for folder in ("acd", "agents", "callcenter", "ivr_flows"):
        for source in (REPO / folder).rglob("*.py"):
            named |= set(re.findall(r'Prompt\(\s*"([a-z0-9_]+)"', source.read_text(encoding="utf-8")))
    assert named and named <= set(ENGINE_PROMPTS), named - set(ENGINE_PROMPTS)
