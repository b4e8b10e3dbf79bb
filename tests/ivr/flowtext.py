"""Write flow YAML into a temporary folder and load it, for tests of hand-made flows."""

from __future__ import annotations

import textwrap
from pathlib import Path

from ivr_flows.loader import FlowSet, load_flows


def write_flow(folder: Path, name: str, body: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return path


def load_text(folder: Path, context, catalogue=None, **bodies: str) -> FlowSet:
    for name, body in bodies.items():
        write_flow(folder, name, body)
    return load_flows([folder], context=context, catalogue=catalogue)
