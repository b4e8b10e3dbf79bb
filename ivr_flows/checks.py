"""Checks on parsed flows: graph (unreachable, no way out), prompts, and config references."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ivr_flows.catalogue import Catalogue
from ivr_flows.context import FlowContext
from ivr_flows.digit_checks import CHECKS
from ivr_flows.issues import FlowIssue
from ivr_flows.model import (
    RETRY,
    CallbackNode,
    CollectNode,
    Flow,
    GotoNode,
    MenuNode,
    PinnedPrompt,
    PlayNode,
    PromptRef,
    QueryNode,
    RouteNode,
    SayValue,
    SetNode,
    SubflowNode,
    SurveyNode,
    TransferNode,
)
from ivr_flows.yaml_source import SourceMap

KEYS = set("0123456789*#")


@dataclass(frozen=True)
class ParsedFlow:
    flow: Flow
    path: Path
    source: SourceMap


class _Report:
    def __init__(self, parsed: ParsedFlow) -> None:
        self.parsed = parsed
        self.issues: list[FlowIssue] = []

    def add(self, node: str | None, message: str, *field: object) -> None:
        path: tuple[object, ...] = ("nodes", node, *field) if node else field
        line = self.parsed.source.line(path)
        self.issues.append(FlowIssue(str(self.parsed.path), line, node, message))


def check_flow(
    parsed: ParsedFlow,
    context: FlowContext,
    catalogue: Catalogue | None,
    known_flows: Iterable[str],
) -> list[FlowIssue]:
    """Every problem in one flow, in file order."""
    report = _Report(parsed)
    flow = parsed.flow
    for path, line in parsed.source.duplicates:
        node = str(path[1]) if len(path) == 2 and path[0] == "nodes" else None
        what = "node defined twice" if node else f"key '{path[-1]}' given twice"
        report.issues.append(FlowIssue(str(parsed.path), line, node, what))
    if flow.start not in flow.nodes:
        report.add(None, f"start node '{flow.start}' does not exist", "start")
    if flow.fallback and flow.fallback not in flow.nodes:
        report.add(None, f"fallback node '{flow.fallback}' does not exist", "fallback")
    if flow.language and flow.language not in context.languages:
        report.add(None, _language_message(flow.language, context), "language")
    known_flows = set(known_flows)
    for name, node in flow.nodes.items():
        _check_exits(report, name, node)
        for label, target in node.exits().items():
            if target not in flow.nodes:
                report.add(name, f"'{label}' goes to unknown node '{target}'",
                           *_field_of(label))
        _check_references(report, name, node, context, known_flows)
        if catalogue is not None:
            _check_prompts(report, name, node, context, catalogue)
    _check_graph(report, flow)
    return sorted(report.issues, key=lambda i: (i.line, i.message))


def _field_of(label: str) -> tuple[str, ...]:
    if label.startswith("choice "):
        return ("choices", label.removeprefix("choice "))
    if label.startswith("outcome "):
        return ("outcomes", label.removeprefix("outcome "))
    return (label,)


def _check_exits(report: _Report, name: str, node: object) -> None:
    def need(field: str) -> None:
        if getattr(node, field) is None:
            report.add(name, f"no way out: '{field}' is missing")

    if isinstance(node, PlayNode | SetNode | SubflowNode | CollectNode | SurveyNode):
        need("next")
    if isinstance(node, GotoNode):
        need("target")
    if isinstance(node, MenuNode | CollectNode):
        for field in ("invalid", "timeout", "failure"):
            if getattr(node, field) is None:
                report.add(name, f"{node.kind} does not state its '{field}' branch "
                                 f"(a node or '{RETRY}')")
    if isinstance(node, SurveyNode) and node.failure is None:
        report.add(name, "survey does not state its 'failure' branch")
    if isinstance(node, CallbackNode):
        need("accepted")
        need("declined")
    if isinstance(node, MenuNode):
        if not node.choices:
            report.add(name, "menu has no choices", "choices")
        for key in node.choices:
            if key not in KEYS:
                report.add(name, f"choice '{key}' is not a phone key", "choices", key)
    if isinstance(node, QueryNode) and "error" not in node.outcomes:
        report.add(name, "query does not state its 'error' outcome", "outcomes")
    if isinstance(node, CollectNode):
        if node.min_length > node.max_length:
            report.add(name, "min_length is greater than max_length", "min_length")
        if (node.escape_key is None) != (node.escape is None):
            report.add(name, "escape_key and escape go together", "escape")
    if isinstance(node, SurveyNode) and node.lowest >= node.highest:
        report.add(name, "lowest score must be below highest", "lowest")


def _check_references(
    report: _Report, name: str, node: object, context: FlowContext, flows: set[str]
) -> None:
    language = getattr(node, "language", None)
    if isinstance(node, SetNode | RouteNode) and language and language not in context.languages:
        report.add(name, _language_message(language, context), "language")
    queue = getattr(node, "queue", None)
    if isinstance(node, RouteNode | CallbackNode) and queue and queue not in context.queues:
        known = ", ".join(sorted(context.queues)) or "none"
        report.add(name, f"unknown queue '{queue}' (known: {known})", "queue")
    if isinstance(node, TransferNode) and node.department not in context.departments:
        known = ", ".join(sorted(context.departments)) or "none"
        report.add(name, f"unknown department '{node.department}' (known: {known})",
                   "department")
    if isinstance(node, QueryNode) and node.plugin not in context.plugins:
        known = ", ".join(sorted(context.plugins)) or "none"
        report.add(name, f"unknown plug-in '{node.plugin}' (registered: {known})", "plugin")
    if isinstance(node, CollectNode) and node.validator and node.validator not in CHECKS:
        known = ", ".join(sorted(CHECKS))
        report.add(name, f"unknown validator '{node.validator}' (known: {known})",
                   "validator")
    if isinstance(node, SubflowNode) and node.flow not in flows:
        report.add(name, f"unknown flow '{node.flow}'", "flow")


def _language_message(language: str, context: FlowContext) -> str:
    return f"language '{language}' is not enabled (enabled: {', '.join(context.languages)})"


def _check_prompts(
    report: _Report, name: str, node: object, context: FlowContext, catalogue: Catalogue
) -> None:
    for field in ("prompts", "invalid_prompts", "timeout_prompts"):
        for index, ref in enumerate(getattr(node, field, ()) or ()):
            _check_prompt(report, name, ref, (field, index), context, catalogue)


def _check_prompt(
    report: _Report,
    name: str,
    ref: PromptRef,
    where: tuple[object, ...],
    context: FlowContext,
    catalogue: Catalogue,
) -> None:
    if isinstance(ref, SayValue):
        if ref.language and ref.language not in context.languages:
            report.add(name, _language_message(ref.language, context), *where)
        return
    key = ref.key if isinstance(ref, PinnedPrompt) else ref
    if isinstance(ref, PinnedPrompt) and ref.language not in context.languages:
        report.add(name, _language_message(ref.language, context), *where)
        return
    languages = (ref.language,) if isinstance(ref, PinnedPrompt) else context.languages
    problem = catalogue.problem(key, languages)
    if problem:
        report.add(name, problem, *where)


def _check_graph(report: _Report, flow: Flow) -> None:
    nodes = flow.nodes
    edges = {n: [t for t in node.exits().values() if t in nodes] for n, node in nodes.items()}
    roots = [r for r in (flow.start, flow.fallback) if r in nodes]
    reachable = _closure(roots, edges)
    for name in nodes:
        if name not in reachable:
            report.add(name, f"unreachable: no path from start node '{flow.start}' leads here")
    reverse: dict[str, list[str]] = {n: [] for n in nodes}
    for source, targets in edges.items():
        for target in targets:
            reverse[target].append(source)
    ends = [n for n, node in nodes.items() if node.terminal or isinstance(node, SubflowNode)]
    can_end = _closure(ends, reverse)
    for name, node in nodes.items():
        if name in reachable and name not in can_end and node.exits():
            report.add(name, "no way out: no path from here reaches a route, transfer, "
                             "hang-up or return (dead air for the caller)")


def terminator_warnings(parsed: ParsedFlow) -> list[FlowIssue]:
    """Menus with a key equal to the terminator of a collect that leads to them.

    The interpreter takes that key, pressed right after a full-length entry, as the end of the
    entry: the menu only gets it the second time. Legal, but likely not what the author meant.
    """
    report = _Report(parsed)
    nodes = parsed.flow.nodes
    for name, node in nodes.items():
        if not isinstance(node, CollectNode) or not node.terminator:
            continue
        starts = [t for t in (node.next, node.invalid, node.failure) if t in nodes]
        for menu_name in _next_asking(starts, nodes):
            menu = nodes[menu_name]
            if isinstance(menu, MenuNode) and node.terminator in menu.choices:
                report.add(menu_name, f"warning: key '{node.terminator}' is also the terminator "
                                      f"of collect '{name}' that leads here; pressed right after "
                                      f"a full-length entry it ends that entry, not this menu",
                           "choices", node.terminator)
    return sorted(report.issues, key=lambda i: (i.line, i.message))


def _next_asking(starts: list[str], nodes: dict) -> list[str]:
    """The first nodes that wait for keys from ``starts``, through nodes that do not."""
    seen, found, todo = set(starts), [], deque(starts)
    while todo:
        name = todo.popleft()
        node = nodes[name]
        if isinstance(node, MenuNode | CollectNode | SurveyNode | CallbackNode):
            found.append(name)
            continue
        if isinstance(node, PlayNode | SetNode | GotoNode | QueryNode):
            for target in node.exits().values():
                if target in nodes and target not in seen:
                    seen.add(target)
                    todo.append(target)
    return found


def _closure(roots: list[str], edges: dict[str, list[str]]) -> set[str]:
    seen = set(roots)
    todo = deque(roots)
    while todo:
        for target in edges[todo.popleft()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen
