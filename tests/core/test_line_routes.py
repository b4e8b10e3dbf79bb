"""A line's declared queues are held against its flow at ``config check``: the flow decides
where a caller waits (12315 has no language menu: its English callers wait in zh-consumer)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from callcenter.cli import main
from callcenter.config import load_config
from tests.core.test_prompt_refs import config_with, line_of


def check(path: Path | None = None):
    return CliRunner().invoke(main, ["config", "check", *([str(path)] if path else [])])


def test_the_shipped_config_agrees_with_its_flows() -> None:
    result = check()
    assert result.exit_code == 0, result.output


def test_a_queue_the_flow_never_routes_to_is_an_error(tmp_path: Path) -> None:
    path = config_with(tmp_path, "queues: {zh: zh-consumer}",
                       "queues: {zh: zh-consumer, en: en-general}")
    result = check(path)
    assert result.exit_code == 2
    assert (f"{path}:{line_of(path, 'en: en-general}')}: lines[1].queues.en: flow line_12315 "
            f"routes no en caller to en-general (it routes: zh -> zh-consumer)") in result.output
    assert "Traceback" not in result.output


def test_a_language_the_flow_routes_must_be_declared(tmp_path: Path) -> None:
    path = config_with(tmp_path, " ja: ja-general,", "")
    result = check(path)
    assert result.exit_code == 2
    line = line_of(path, "queues: {zh: zh-general")
    assert (f"{path}:{line}: lines[0].queues.ja: flow line_12345 routes ja callers to "
            f"ja-general: declare it") in result.output


def test_a_wrong_queue_for_a_routed_language(tmp_path: Path) -> None:
    path = config_with(tmp_path, "queues: {zh: zh-housing-fund}", "queues: {zh: zh-general}")
    result = check(path)
    assert result.exit_code == 2
    assert (f"{path}:{line_of(path, 'queues: {zh: zh-general}')}: lines[2].queues.zh: flow "
            f"line_12329 routes no zh caller to zh-general (it routes: zh -> zh-housing-fund)"
            ) in result.output


def test_callers_of_an_undeclared_language_wait_in_the_default_languages_queue() -> None:
    config = load_config()
    assert config.route_for("12315", "en") == "zh-consumer"
    assert config.route_for("12345", "en") == "en-general"
