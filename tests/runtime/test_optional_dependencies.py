"""Commands whose optional dependency is missing name the extra that installs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def without(module: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the CLI with ``module`` made unimportable (a package that raises ImportError)."""
    hidden = tmp_path / "hidden" / module
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text(f"raise ImportError(\"No module named '{module}'\")\n")
    path = os.pathsep.join([str(tmp_path / "hidden"), str(REPO), os.environ.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "callcenter.cli", *args], cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": path}, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("module, args, message", [
    ("pjsua2", ("agent-phone", "--agent", "1001"),
     "Error: agent-phone needs pjsua2, which is not installed: pip install -e '.[phone]'"),
    ("httpx", ("loadtest", "mmc-plus-m", "--api", "http://127.0.0.1:8080"),
     "Error: --api needs httpx, which is not installed: pip install -e '.[loadtest]'"),
])
def test_missing_optional_dependency_names_the_install_command(tmp_path, module, args, message):
    result = without(module, tmp_path, *args)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [message]


def test_the_extras_are_declared():
    setup = (REPO / "setup.cfg").read_text(encoding="utf-8")
    extras = setup.split("[options.extras_require]")[1].split("\n[")[0]
    assert "phone =\n    pjsua2-python" in extras and "loadtest =\n    httpx" in extras
