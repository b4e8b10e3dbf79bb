"""The optional compiled core (mypyc) and its plain-Python fallback run the same simulation.

The build compiles a copy of the sources in a temporary folder, so the working tree stays
plain Python: every other test exercises the fallback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from acd.compiled import MODULES, compiled_modules

ROOT = Path(__file__).resolve().parents[2]
RUN = """
import json, sys
from acd.compiled import compiled_modules
from simulator.engine import simulate
from simulator.metrics import summarize
from simulator.scenario import load_scenario
loaded = load_scenario("jinan-day")
result = simulate(loaded, seed=11)
summary = summarize(result, loaded)
print(json.dumps({"compiled": compiled_modules(), "events": result.events,
                  "overall": summary["overall"], "queues": summary["queues"]}))
"""


def run_day(root: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", RUN], capture_output=True, text=True, env=env,
                          cwd=root, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_the_plain_python_sources_of_every_compiled_module_are_kept() -> None:
    for path in MODULES:
        assert (ROOT / path).is_file(), path
    if not os.environ.get("CALLCENTER_COMPILE"):
        assert compiled_modules() == []


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")
def test_compiled_core_gives_the_same_run_and_keeps_erlang_accuracy(tmp_path: Path) -> None:
    pytest.importorskip("mypyc", reason="needs mypy (pip install -e '.[test]')")
    copy = tmp_path / "src"
    for name in ("acd", "agents", "calls", "outbound", "simulator", "callcenter", "cases",
                 "ivr_flows", "sip_config"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "tests", copy / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("setup.py", "setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, copy / name)
    build = subprocess.run([sys.executable, "setup.py", "build_ext", "--inplace"], cwd=copy,
                           env={**os.environ, "CALLCENTER_COMPILE": "1"}, capture_output=True,
                           text=True, timeout=1800)
    assert build.returncode == 0, build.stderr[-3000:]

    compiled, plain = run_day(copy), run_day(ROOT)
    assert len(compiled.pop("compiled")) == len(MODULES) and plain.pop("compiled") == []
    assert compiled == plain  # the same seed gives the very same day, call for call

    erlang = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/simulator/test_sim_vs_erlang.py"],
        cwd=copy, env={**os.environ, "PYTHONPATH": str(copy)}, capture_output=True, text=True,
        timeout=1800)
    assert erlang.returncode == 0, erlang.stdout[-3000:]
