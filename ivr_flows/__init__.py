"""IVR flows: validated flow data, the pure interpreter and prompts in seven languages.

Load with ``load_flows(paths, context=FlowContext(...))`` (or ``load_for_config(cfg,
registry)``), run one ``FlowRun(flows, name)`` per call: ``handle(event, now)`` and
``on_timer(now)`` return commands; ``next_deadline()`` says when to call ``on_timer``.
"""

from ivr_flows.context import FlowContext
from ivr_flows.interpreter import FlowRun, IllegalEvent, Outcome
from ivr_flows.issues import FlowError, FlowIssue
from ivr_flows.loader import FLOWS_DIR, FlowSet, load_flows, load_for_config
from ivr_flows.plugins import PluginRegistry, QueryResult, default_registry

__all__ = [
    "FLOWS_DIR",
    "FlowContext",
    "FlowError",
    "FlowIssue",
    "FlowRun",
    "FlowSet",
    "IllegalEvent",
    "Outcome",
    "PluginRegistry",
    "QueryResult",
    "default_registry",
    "load_flows",
    "load_for_config",
]
