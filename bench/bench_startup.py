"""Start-up time of the command line: ``callcenter --help`` and small simulations, side by side
with the interpreter's own start (``python -c pass``) and a light import (``import yaml``) in
the same run, as ratios. The start-up row simulates 36 seconds (loading, almost no running:
mmc-plus-m's half-hour warm-up rules it out there); the 0.6 h rows add about 600 calls.

Each command runs in a fresh interpreter, in turn with the others (so a change of machine load
touches them all alike), from an empty folder (no built prompts), on this checkout's code.
Figures are medians of ``--repeat`` runs: wall time and the CPU time of the child process
(which a busy machine disturbs much less than the wall time). The first run of each is a
warm-up that also fills the parse cache and the kept loads (in a temporary folder; one row
runs without them) and the bytecode caches; if ``PYTHONDONTWRITEBYTECODE`` is set, the
children keep bytecode in a temporary folder rather than compile every module at every start
(as a normal install would not).

    python bench/bench_startup.py [--repeat 11] [--code CHECKOUT]

``--code`` runs another checkout's code (an older commit, to compare) with this bench.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "callcenter.cli"]
SMALL = ["--no-progress", "--duration-hours", "0.6"]
COMMANDS: dict[str, list[str]] = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "python -c 'import yaml'": [sys.executable, "-c", "import yaml"],
    "callcenter --help": [*CLI, "--help"],
    "simulate jinan-day (start-up: 0.01 h)": [
        *CLI, "simulate", "jinan-day", "--no-progress", "--duration-hours", "0.01"],
    "simulate mmc-plus-m (0.6 h)": [*CLI, "simulate", "mmc-plus-m", *SMALL],
    "simulate jinan-day (0.6 h)": [*CLI, "simulate", "jinan-day", *SMALL],
    "simulate mmc-plus-m (0.6 h, 2 replications)": [
        *CLI, "simulate", "mmc-plus-m", *SMALL, "--replications", "2", "--jobs", "1"],
    "simulate jinan-day (0.6 h, no parse cache)": [*CLI, "simulate", "jinan-day", *SMALL],
}
ENVIRONMENT = {"simulate jinan-day (0.6 h, no parse cache)": {"CALLCENTER_CACHE_DIR": ""}}
BASELINES = ("python -c pass", "python -c 'import yaml'")


def run(argv: list[str], env: dict[str, str], cwd: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) for one run; a failure stops the bench."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)  # the child's own CPU time, in microseconds
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    errors = child.stderr.read().decode(errors="replace") if child.stderr else ""
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({child.returncode}):\n{errors[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=11, help="timed runs of each command")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose code runs")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(args.code.resolve())}
    with tempfile.TemporaryDirectory() as folder:
        note = "bytecode cached as usual"
        if env.pop("PYTHONDONTWRITEBYTECODE", None):
            env["PYTHONPYCACHEPREFIX"] = str(Path(folder) / "pycache")
            note = "PYTHONDONTWRITEBYTECODE was set: bytecode cached in a temporary folder"
        env["CALLCENTER_CACHE_DIR"] = str(Path(folder) / "parses")  # filled by the warm-up
        cwd = Path(folder) / "cwd"
        cwd.mkdir()
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in COMMANDS}
        for name, argv in COMMANDS.items():  # warm-up: bytecode, parses, the page cache
            run(argv, {**env, **ENVIRONMENT.get(name, {})}, str(cwd))
        load_before = os.getloadavg()[0]
        for _ in range(args.repeat):
            for name, argv in COMMANDS.items():
                times[name].append(run(argv, {**env, **ENVIRONMENT.get(name, {})}, str(cwd)))
        load_after = os.getloadavg()[0]
    wall = {name: statistics.median(w for w, _ in runs) for name, runs in times.items()}
    cpu = {name: statistics.median(c for _, c in runs) for name, runs in times.items()}
    print(f"Start-up, median of {args.repeat} runs each (Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, load average {load_before:.1f} before, {load_after:.1f} after; "
          f"{note}; code of {args.code.resolve()}):")
    width = max(map(len, COMMANDS))
    print(f"{'':<{width}}  {'wall time':<32}{'CPU time'}")
    print(f"{'command':<{width}}  {'ms':>6}  x pass  x yaml  - pass ms  {'ms':>6}  x pass  x yaml")
    for name in COMMANDS:
        walls = "  ".join(f"{wall[name] / wall[base]:6.2f}" for base in BASELINES)
        cpus = "  ".join(f"{cpu[name] / cpu[base]:6.2f}" for base in BASELINES)
        print(f"{name:<{width}}  {1000 * wall[name]:6.0f}  {walls}  "
              f"{1000 * (wall[name] - wall[BASELINES[0]]):8.0f}  {1000 * cpu[name]:6.0f}  {cpus}")


if __name__ == "__main__":
    main()
