"""Prompt keys a config names (escalation ``announce``, ``overflow_message``) and the engine's
own, each looked up in the prompt catalogue for every enabled language."""

from __future__ import annotations

from callcenter.config.schema import HotlineConfig
from callcenter.config.yaml_source import SourceIssue, SourceMap, dotted
from ivr_flows.catalogue import Catalogue
from ivr_flows.engine_prompts import ENGINE_PROMPTS

PROMPT_FIELDS = ("announce", "overflow_message")


def prompt_issues(config: HotlineConfig, source: SourceMap, catalogue: Catalogue) -> list[SourceIssue]:
    """``hotline.yaml:58: queues[0].escalation[1].announce: unknown prompt 'x' (...)``."""
    issues: list[SourceIssue] = []
    for i, queue in enumerate(config.queues):
        for j, step in enumerate(queue.escalation):
            for field in PROMPT_FIELDS:
                key = getattr(step, field)
                problem = key and catalogue.problem(key, config.languages)
                if problem:
                    loc = ("queues", i, "escalation", j, field)
                    issues.append(SourceIssue(source.locate(loc), dotted(loc), problem))
    for key, use in ENGINE_PROMPTS.items():
        problem = catalogue.problem(key, config.languages)
        if problem:
            issues.append(SourceIssue(source.locate(("languages",)), "languages",
                                      f"{problem}: the engine plays it for {use}"))
    return issues
