"""What simulated callers walk: the center's flows (checked as ``serve`` checks them) and how
long each prompt plays.

Prompt durations come from the built prompts' audio (``manifest.json``, written by
``callcenter prompts build`` and read by the live engine) when it exists, and otherwise from
the text estimate of ``ivr_flows.timing.estimate_seconds`` (characters per second by
language); ``IvrSetup.prompts`` says which was used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ivr_flows import inputs
from ivr_flows.catalogue import CATALOGUE_PATH, Catalogue, load_catalogue
from ivr_flows.context import FlowContext
from ivr_flows.issues import FlowError, FlowIssue
from ivr_flows.loader import FLOWS_DIR, FlowSet, flow_files, load_flows
from ivr_flows.plugins import PluginRegistry, default_registry
from ivr_flows.timing import PromptDurations
from ivr_flows.yaml_limits import YamlLimitError, read_text, yaml_error
from ivr_flows.yaml_source import load_data

DEFAULT_PROMPTS_DIR = Path("var/prompts")
"""Where ``callcenter serve`` builds its prompts by default (relative to the current folder)."""


@dataclass(frozen=True)
class IvrSetup:
    flows: FlowSet
    plugins: PluginRegistry
    durations: PromptDurations
    prompts: str
    """How prompt durations were found: ``audio (...)`` or ``estimate (...)``."""


_CATALOGUE: dict[tuple[Path, float], Catalogue] = {}


def shipped_catalogue() -> Catalogue:
    """The shipped prompt catalogue, read once per process (and again if the file changes):
    scenarios, their centers and their flows all look prompts up in it."""
    key = (CATALOGUE_PATH, CATALOGUE_PATH.stat().st_mtime)
    if key not in _CATALOGUE:
        _CATALOGUE.clear()
        _CATALOGUE[key] = load_catalogue(CATALOGUE_PATH)
    else:
        inputs.note_file(CATALOGUE_PATH)
    return _CATALOGUE[key]


def prompt_durations(mode: str, prompts_dir: Path) -> tuple[PromptDurations, str]:
    """``mode`` ``audio`` (the manifest must exist), ``estimate`` or ``auto`` (audio if built)."""
    estimated = PromptDurations.estimated(shipped_catalogue())
    manifest = prompts_dir / "manifest.json"
    if mode == "estimate" or (mode == "auto" and not inputs.is_file(manifest)):
        return estimated, "estimate (prompt text at a speaking rate per language, no audio built)"
    if not manifest.is_file():
        raise FileNotFoundError(f"no built prompts: {manifest} does not exist "
                                f"(run `callcenter prompts build --out {prompts_dir}`)")
    audio = PromptDurations.from_manifest(manifest)
    lacking = len(set(estimated.seconds) - set(audio.seconds))
    rest = f"; text estimate for {lacking} prompt(s) not built" if lacking else ""
    table = PromptDurations({**estimated.seconds, **audio.seconds})
    return table, f"audio ({manifest}: {len(audio.seconds)} prompts{rest})"


def line_flow_files(config: Any, folder: Path = FLOWS_DIR) -> list[Path]:
    """The files of the flows ``config``'s lines run, and of the sub-flows those call."""
    by_name: dict[str, tuple[Path, set[str]]] = {}
    for path in flow_files([folder]):
        try:  # a glance at names only: load_flows parses and checks the files it is given
            data = load_data(read_text(path), str(path))
        except (yaml_error(), YamlLimitError):
            continue
        if isinstance(data, dict) and isinstance(data.get("nodes"), dict):
            calls = {str(n.get("flow")) for n in data["nodes"].values()
                     if isinstance(n, dict) and n.get("kind") == "subflow"}
            by_name.setdefault(str(data.get("flow")), (path, calls))
    missing = [line for line in config.lines if line.flow not in by_name]
    if missing:
        raise FlowError([FlowIssue("config", 1, None, f"line {line.number} runs unknown flow "
                                   f"'{line.flow}'") for line in missing])
    todo, wanted = [line.flow for line in config.lines], set()
    while todo:
        name = todo.pop()
        if name in by_name and name not in wanted:
            wanted.add(name)
            todo.extend(by_name[name][1])
    return sorted(by_name[name][0] for name in wanted)


def load_ivr(config: Any, mode: str = "auto", prompts_dir: Path = DEFAULT_PROMPTS_DIR) -> IvrSetup:
    """The flows of ``config``'s lines, checked against it as ``serve`` checks them, and the
    prompt durations. Raises ``FlowError`` (a flow does not fit the config) or
    ``FileNotFoundError`` (``audio`` asked, none built)."""
    plugins = default_registry()
    context = FlowContext.from_config(config, plugins=plugins.names())
    flows = load_flows(line_flow_files(config), context=context, catalogue=shipped_catalogue())
    durations, how = prompt_durations(mode, prompts_dir)
    return IvrSetup(flows, plugins, durations, how)
