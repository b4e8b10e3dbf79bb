"""Load flow files: parse, check, and return a ``FlowSet`` or raise ``FlowError``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ivr_flows import inputs
from ivr_flows.catalogue import Catalogue, load_catalogue
from ivr_flows.checks import ParsedFlow, check_flow, terminator_warnings
from ivr_flows.context import FlowContext
from ivr_flows.issues import FlowError, FlowIssue
from ivr_flows.model import Flow
from ivr_flows.yaml_limits import YamlLimitError, read_text, yaml_error
from ivr_flows.yaml_source import load_yaml

if TYPE_CHECKING:
    from ivr_flows.plugins import PluginRegistry

FLOWS_DIR = Path(__file__).parent / "flows"


@dataclass(frozen=True)
class FlowSet(Mapping[str, Flow]):
    """Validated flows by name, with the context and catalogue they were checked against."""

    parsed: dict[str, ParsedFlow]
    context: FlowContext
    catalogue: Catalogue | None
    warnings: tuple[FlowIssue, ...] = ()
    """Legal but doubtful constructs (``flows check`` prints them)."""

    def __getitem__(self, name: str) -> Flow:
        return self.parsed[name].flow

    def __iter__(self) -> Iterator[str]:
        return iter(self.parsed)

    def __len__(self) -> int:
        return len(self.parsed)


def flow_files(paths: Iterable[Path | str]) -> list[Path]:
    """Expand directories to their ``*.yaml``/``*.yml`` files, sorted."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(f for f in inputs.listing(p) if f.suffix in (".yaml", ".yml"))
        else:
            out.append(p)
    return out


def parse_flow_text(text: str, file: str) -> tuple[ParsedFlow | None, list[FlowIssue]]:
    """Schema-check one flow document; on failure return the issues with their lines."""
    try:
        data, source = load_yaml(text, file)
    except yaml_error("MarkedYAMLError") as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        return None, [FlowIssue(file, line, None, f"not valid YAML: {exc.problem}")]
    except YamlLimitError as exc:
        return None, [_limit_issue(exc, file)]
    if not isinstance(data, dict):
        return None, [FlowIssue(file, 1, None, "a flow file must be a mapping")]
    try:
        flow = Flow.model_validate(data)
    except ValidationError as exc:
        issues = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            node = str(loc[1]) if len(loc) > 1 and loc[0] == "nodes" else None
            field = [str(p) for p in (loc[3:] if node and len(loc) > 2 else loc[2:] if node
                                      else loc)]
            where = ".".join(field)
            msg = f"{where}: {err['msg']}" if where else err["msg"]
            issues.append(FlowIssue(file, source.line(loc), node, msg))
        return None, issues
    return ParsedFlow(flow, Path(file), source), []


def _limit_issue(exc: YamlLimitError, file: str) -> FlowIssue:
    return FlowIssue(file, exc.line, None, exc.message)


def load_flows(
    paths: Iterable[Path | str] = (FLOWS_DIR,),
    context: FlowContext | None = None,
    catalogue: Catalogue | None = None,
) -> FlowSet:
    """Load and check every flow in ``paths``; raise ``FlowError`` listing all problems."""
    context = context or FlowContext()
    catalogue = catalogue if catalogue is not None else load_catalogue()
    issues: list[FlowIssue] = []
    parsed: dict[str, ParsedFlow] = {}
    for path in flow_files(paths):
        try:
            text = read_text(path)
        except YamlLimitError as exc:
            issues.append(_limit_issue(exc, str(path)))
            continue
        one, problems = parse_flow_text(text, str(path))
        issues.extend(problems)
        if one is None:
            continue
        if one.flow.flow in parsed:
            issues.append(FlowIssue(str(path), one.source.line(("flow",)), None,
                                    f"flow '{one.flow.flow}' is already defined in "
                                    f"{parsed[one.flow.flow].path}"))
            continue
        parsed[one.flow.flow] = one
    known = set(parsed)
    for one in parsed.values():
        issues.extend(check_flow(one, context, catalogue, known))
    if issues:
        raise FlowError(issues)
    warnings = tuple(w for one in parsed.values() for w in terminator_warnings(one))
    return FlowSet(parsed, context, catalogue, warnings)


def load_for_config(
    cfg: Any, registry: PluginRegistry, paths: Iterable[Path | str] = (FLOWS_DIR,)
) -> FlowSet:
    """The composition root's entry: flows checked against a ``HotlineConfig`` and plug-ins."""
    context = FlowContext.from_config(cfg, plugins=registry.names())
    flows = load_flows(paths, context=context)
    missing = [line for line in getattr(cfg, "lines", ()) if line.flow not in flows]
    if missing:
        raise FlowError([FlowIssue("config", 1, None, f"line {line.number} runs unknown flow "
                                   f"'{line.flow}'") for line in missing])
    return flows
