"""YAML that is not UTF-8, nests too deep or expands too far: one line, exit 2, bounded memory."""

from __future__ import annotations

import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from ivr_flows.yaml_limits import YamlLimitError, check_limits, read_text

MEMORY = 2 * 1024**3  # address space for the checking process: the bomb must not need more


def alias_bomb() -> str:
    """Nine levels of nine aliases: 9**9 (387 million) values from 500 bytes."""
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 9):
        name, before = chr(ord("a") + level), chr(ord("a") + level - 1)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{before}"] * 9) + "]")
    return "\n".join(lines) + "\n"


HOSTILE = {
    "latin1.yaml": ('center:\n  name: "Caf\xe9"\n'.encode("latin-1"), 2, "not UTF-8 text (byte 0xe9)"),
    "bomb.yaml": (alias_bomb().encode(), 6, "more than 200000 values once aliases are expanded"),
    "deep.yaml": (b"[" * 100_000, 1, "nested deeper than 64 levels"),
}


def limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "callcenter.cli", *args], capture_output=True,
                          text=True, timeout=60, preexec_fn=limited)


@pytest.fixture
def hostile(tmp_path) -> dict[str, Path]:
    paths = {}
    for name, (data, _, _) in HOSTILE.items():
        paths[name] = tmp_path / name
        paths[name].write_bytes(data)
    return paths


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_limits_name_the_file_and_line(hostile, name):
    _, line, message = HOSTILE[name]
    with pytest.raises(YamlLimitError, match=re.escape(message)) as info:
        check_limits(read_text(hostile[name]), str(hostile[name]))
    assert (info.value.file, info.value.line) == (str(hostile[name]), line)


def test_aliases_and_depth_within_the_limits_are_fine():
    check_limits("base: &b {zh: 3}\nagents: [{skills: *b}, {skills: *b}]\n", "ok.yaml")
    check_limits("[" * 64 + "]" * 64, "ok.yaml")
    with pytest.raises(YamlLimitError):
        check_limits("[" * 65 + "]" * 65, "deep.yaml")


@pytest.mark.parametrize("name", sorted(HOSTILE))
@pytest.mark.parametrize("command", [("config", "check"), ("flows", "check"),
                                     ("staff", "--aht", "300", "--profile")])
def test_cli_says_so_in_one_line_and_exits_2(hostile, name, command):
    _, line, message = HOSTILE[name]
    result = run(*command, str(hostile[name]))
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert f"{hostile[name]}:{line}: {message}" in result.stderr
    if command[0] != "flows":  # flows check adds its "1 problem(s) found" tally
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_roster_plan_s_requirements_file_is_checked_too(hostile, tmp_path, name):
    from simulator.roster_demand import plan_demand
    from simulator.roster_plan import PlanError, load_plan

    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "groups: [{name: all, languages: [zh], skills: {zh: 4}, requirements: " + name + "}]\n"
        "patterns: [{name: day, length_hours: 5, first: '08:00', last: '13:00'}]\n"
        "labour: {max_part_time_share: 1}\n", encoding="utf-8")
    _, line, message = HOSTILE[name]
    with pytest.raises(PlanError, match=re.escape(f"{hostile[name]}:{line}: {message}")):
        plan_demand(load_plan(plan))
