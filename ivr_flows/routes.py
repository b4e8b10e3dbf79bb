"""Where a flow can send a caller: the (language, queue) of every reachable ``route`` node.

A static walk over the flow graph that follows every exit, carries the call's language
through ``set`` nodes and enters sub-flows, so that a line's declared queues can be checked
against its flow and a simulated caller can head for the queue of their language.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from ivr_flows.model import RETRY, Flow, ReturnNode, RouteNode, SetNode, SubflowNode

MAX_NESTING = 8
"""Sub-flows deeper than this are not followed (a flow calling itself)."""


@dataclass(frozen=True, slots=True)
class Place:
    """A node of a running flow: the flow, the node, the call's language, the sub-flow stack."""

    flow: str
    node: str
    language: str
    stack: tuple[tuple[str, str | None], ...] = ()


def start_place(flows: Mapping[str, Flow], flow: str, default_language: str) -> Place:
    """Where a call of ``flow`` starts (the language the interpreter starts it in)."""
    first = flows[flow]
    return Place(flow, first.start, first.language or default_language)


def exit_target(flow: Flow, node_name: str, branch: str | None) -> str | None:
    """The node a ``timeout``/``invalid`` branch leads to; ``retry`` ends in ``failure``."""
    node = flow.nodes[node_name]
    if branch == RETRY:
        return getattr(node, "failure", None)
    return branch


def _next_places(flows: Mapping[str, Flow], place: Place) -> list[Place]:
    flow = flows[place.flow]
    node = flow.nodes[place.node]
    language, stack = place.language, place.stack
    if isinstance(node, SetNode) and node.language:
        language = node.language
    if isinstance(node, SubflowNode):
        if len(stack) >= MAX_NESTING or node.flow not in flows:
            return []
        inner = flows[node.flow]
        return [Place(node.flow, inner.start, language, (*stack, (place.flow, node.next)))]
    if isinstance(node, ReturnNode):
        if not stack:
            return []
        (outer, after), rest = stack[-1], stack[:-1]
        return [Place(outer, after, language, rest)] if after else []
    targets = list(node.exits().values())
    if flow.fallback:
        targets.append(flow.fallback)
    return [Place(place.flow, t, language, stack) for t in dict.fromkeys(targets) if t in flow.nodes]


def reachable_routes(flows: Mapping[str, Flow], start: Place) -> dict[tuple[str, str], int]:
    """Every ``(language, queue)`` a call at ``start`` can be routed to, with the fewest nodes
    passed on the way (0: ``start`` is the route node)."""
    found: dict[tuple[str, str], int] = {}
    seen = {start}
    todo = deque([(start, 0)])
    while todo:
        place, hops = todo.popleft()
        node = flows[place.flow].nodes[place.node]
        if isinstance(node, RouteNode):
            found.setdefault((node.language or place.language, node.queue), hops)
            continue
        for nxt in _next_places(flows, place):
            if nxt not in seen:
                seen.add(nxt)
                todo.append((nxt, hops + 1))
    return found


def flow_routes(flows: Mapping[str, Flow], flow: str, default_language: str) -> dict[str, set[str]]:
    """Language -> the queues a caller of ``flow`` can reach in that language."""
    out: dict[str, set[str]] = {}
    for language, queue in reachable_routes(flows, start_place(flows, flow, default_language)):
        out.setdefault(language, set()).add(queue)
    return out
