"""A line's declared ``queues`` checked against its flow: the flow decides where a caller
goes, the declaration only names it (for boards and reports), so the two must agree.

``hotline.yaml:41: lines[1].queues.en: flow line_12315 routes no en caller to en-general
(it routes: zh -> zh-consumer)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from callcenter.config.loader import ConfigIssue, config_source
from callcenter.config.schema import HotlineConfig
from callcenter.config.yaml_source import SourceMap, dotted
from ivr_flows.model import Flow
from ivr_flows.routes import flow_routes


def _describe(routes: Mapping[str, set[str]]) -> str:
    return ", ".join(f"{lang} -> {' or '.join(sorted(queues))}"
                     for lang, queues in sorted(routes.items())) or "nowhere"


def line_route_issues(config: HotlineConfig, flows: Mapping[str, Flow],
                      source: SourceMap) -> list[ConfigIssue]:
    """Every declared ``lines[i].queues`` entry the line's flow does not route to, and every
    enabled language the flow routes that the declaration leaves out."""
    issues: list[ConfigIssue] = []
    for i, line in enumerate(config.lines):
        if line.flow not in flows:
            continue  # the flows check reports an unknown flow
        routes = flow_routes(flows, line.flow, config.default_language)
        for language, queue in line.queues.items():
            if queue not in routes.get(language, set()):
                loc = ("lines", i, "queues", language)
                issues.append(ConfigIssue(
                    source.locate(loc), dotted(loc),
                    f"flow {line.flow} routes no {language} caller to {queue} "
                    f"(it routes: {_describe(routes)})"))
        for language in sorted(set(routes) & set(config.languages) - set(line.queues)):
            loc = ("lines", i, "queues")
            issues.append(ConfigIssue(
                source.locate(loc), f"{dotted(loc)}.{language}",
                f"flow {line.flow} routes {language} callers to "
                f"{' or '.join(sorted(routes[language]))}: declare it"))
    return issues


def check_line_routes(config: HotlineConfig, flows: Mapping[str, Flow],
                      path: str | Path | None) -> list[ConfigIssue]:
    """``line_route_issues`` located in the config file(s) at ``path`` (None: the shipped)."""
    return line_route_issues(config, flows, config_source(path))
