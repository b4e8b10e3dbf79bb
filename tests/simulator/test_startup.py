"""Start-up cost: ``callcenter --help`` and a small simulation do not import the heavy modules.

Run in a fresh interpreter with ``-X importtime``, which lists every module imported.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import ivr_flows.yaml_source as yaml_source
import simulator.scenario as scenario_module
from callcenter.cli import main
from ivr_flows.yaml_cache import ENV
from simulator.replications import half_width
from simulator.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("scipy", "matplotlib")
SERVE_SECTIONS = ("callcenter.config.sms_section", "callcenter.config.outbound_section")


def imported(*args: str, cwd: Path, **environ: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **environ}
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "callcenter.cli", *args],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


def top_level(names: set[str]) -> set[str]:
    return {name.split(".")[0] for name in names}


def test_help_imports_neither_numpy_nor_scipy_nor_matplotlib(tmp_path: Path) -> None:
    roots = top_level(imported("--help", cwd=tmp_path))
    assert "click" in roots
    assert not roots & {*HEAVY, "numpy", "pydantic"}


def test_a_small_simulation_imports_no_scipy_or_matplotlib(tmp_path: Path) -> None:
    names = imported("simulate", "mmc-plus-m", "--duration-hours", "0.6", "--no-progress",
                     cwd=tmp_path)
    assert "simulator.replications" in names and "simulator.scenario" in names
    assert not top_level(names) & {*HEAVY, "multiprocessing", "tqdm", "outbound"}
    # config sections (and case rules, holiday calendars) the scenario's center has not set
    assert not names & {*SERVE_SECTIONS, "cases.rules", "cases.calendar"}


def test_a_simulation_whose_yaml_is_all_in_the_parse_cache_does_not_import_pyyaml(
        tmp_path: Path) -> None:
    args = ("simulate", "jinan-day", "--duration-hours", "0.6", "--no-progress")
    cache = tmp_path / "cache"
    assert "yaml" in imported(*args, cwd=tmp_path, CALLCENTER_CACHE_DIR=str(cache))
    for kept in cache.rglob("*.pickle"):  # the load itself not kept: only the parses
        kept.unlink()
    names = imported(*args, cwd=tmp_path, CALLCENTER_CACHE_DIR=str(cache))
    assert "simulator.scenario" in names and "yaml" not in top_level(names)
    assert "pydantic.plugin._loader" in names  # validated: a validator was built


def test_a_repeated_simulation_validates_nothing(tmp_path: Path) -> None:
    args = ("simulate", "mmc-plus-m", "--duration-hours", "0.6", "--no-progress")
    cache = str(tmp_path / "cache")
    assert "pydantic.plugin._loader" in imported(*args, cwd=tmp_path, CALLCENTER_CACHE_DIR=cache)
    names = imported(*args, cwd=tmp_path, CALLCENTER_CACHE_DIR=cache)
    # pydantic loads its plug-ins when it builds a model's validator: none was built
    assert "simulator.scenario" in names and "pydantic.plugin._loader" not in names
    assert not top_level(names) & {"yaml", "logging"}  # logging: only when the cache must log


def test_the_command_line_gives_numpy_one_blas_thread_unless_told_otherwise(monkeypatch) -> None:
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    assert CliRunner().invoke(main, ["--help"]).exit_code == 0
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    assert CliRunner().invoke(main, ["config", "--help"]).exit_code == 0
    assert os.environ["OPENBLAS_NUM_THREADS"] == "3"


def test_intervals_load_scipy_special_but_not_scipy_stats_and_plots_load_matplotlib(
        tmp_path: Path) -> None:
    png = tmp_path / "day.png"
    names = imported("simulate", "mmc-plus-m", "--duration-hours", "0.6", "--no-progress",
                     "--replications", "2", "--jobs", "1", "--plot", str(png), cwd=tmp_path)
    assert "scipy.special" in names
    assert not any(name.startswith("scipy.stats") for name in names)  # a second to import
    assert "matplotlib.pyplot" in names
    assert png.stat().st_size > 10_000


def test_the_interval_is_student_t_times_the_standard_error() -> None:
    # t(0.975; 7) = 2.364624 (tables); eight values of mean 4.5 and standard deviation 2.449490
    assert half_width([1, 2, 3, 4, 5, 6, 7, 8]) == pytest.approx(2.364624 * 2.449490 / 8 ** 0.5)
    assert half_width([3.0, 5.0]) == pytest.approx(12.706205 * 2 ** 0.5 / 2 ** 0.5)
    assert half_width([1.0]) is None


COUNT_COLLECTIONS = """
import atexit, collections, gc, sys
runs = collections.Counter()
gc.callbacks.append(lambda phase, info: phase == "stop" and runs.update([info["generation"]]))
atexit.register(lambda: print(dict(runs), gc.get_freeze_count(), gc.isenabled(), file=sys.stderr))
from callcenter.cli import main
sys.argv = ["callcenter", *sys.argv[1:]]
main()
"""


def test_the_program_starts_without_collecting_its_imports_and_freezes_them(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", COUNT_COLLECTIONS, "simulate", "mmc-plus-m",
                           "--duration-hours", "0.6", "--no-progress"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    runs, frozen, enabled = done.stderr.strip().splitlines()[-1].rsplit(" ", 2)
    counts = eval(runs)  # noqa: S307 - our own dict literal
    assert counts.get(2, 0) == 0 and counts.get(1, 0) <= 2 and counts.get(0, 0) < 40, counts
    assert int(frozen) > 10_000 and enabled == "True"


def test_a_caller_in_its_own_process_gets_its_collector_back_unfrozen() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["simulate", "mmc-plus-m", "--duration-hours", "0.6", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert gc.get_freeze_count() == 0 and gc.isenabled()


def test_a_second_load_of_a_scenario_parses_no_yaml(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(scenario_module, "kept_load", lambda kind, name, load: load())
    first = load_scenario("jinan-day")

    def parse(*args: object) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(yaml_source, "compose_and_construct", parse)
    monkeypatch.setattr(yaml_source, "_parse_data", parse)
    again = load_scenario("jinan-day")
    assert again.scenario == first.scenario and again.config == first.config
    assert again.ivr.flows.keys() == first.ivr.flows.keys()
    assert again.ivr.durations.seconds == first.ivr.durations.seconds
