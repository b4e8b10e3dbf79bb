"""Load and validate a hotline configuration; every error names file, line and field."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from callcenter.config.prompt_refs import prompt_issues
from callcenter.config.schema import LANGUAGES, HotlineConfig
from callcenter.config.yaml_source import (
    Loc,
    Origin,
    SourceError,
    SourceIssue,
    SourceMap,
    YamlError,
    dotted,
    load_yaml,
    validation_issues,
)
from ivr_flows import inputs
from ivr_flows.catalogue import Catalogue, load_catalogue

LIST_SECTIONS = ("lines", "queues", "departments", "agents")


ConfigIssue = SourceIssue


class ConfigError(SourceError):
    """The hotline configuration is invalid; ``issues`` lists every problem found."""


CALENDAR_NOTICE_DAYS = 60


def default_config_path() -> Path:
    """The shipped 12345 hotline configuration."""
    return Path(str(resources.files("callcenter") / "data" / "hotline.yaml"))


def load_config(path: str | Path | None = None, catalogue: Catalogue | None = None) -> HotlineConfig:
    """Load a config file or folder (None: the shipped default). Raises ``ConfigError``.

    The prompts it names and the engine's own are looked up in ``catalogue`` (default: the
    shipped one) for every enabled language.
    """
    return _load(Path(path) if path is not None else default_config_path(), catalogue)


def load_config_with_warnings(path: str | Path | None = None, catalogue: Catalogue | None = None,
                              today: dt.date | None = None) -> tuple[HotlineConfig, list[str]]:
    """The config and its warnings; ``today`` (default: the local date) dates the calendar's."""
    config = _load(Path(path) if path is not None else default_config_path(), catalogue)
    return config, _warnings(config, today or dt.date.today())


def _load(path: Path, catalogue: Catalogue | None) -> HotlineConfig:
    try:
        data, source = _read(path)
    except YamlError as exc:
        raise ConfigError([ConfigIssue(exc.origin, "", exc.message)]) from None
    except OSError as exc:
        raise ConfigError(
            [ConfigIssue(Origin(str(path), 1), "", f"cannot read: {exc.strerror or exc}")]
        ) from None
    if not isinstance(data, dict):
        raise ConfigError([ConfigIssue(source.locate(()), "", "expected a mapping at top level")])
    data = {k: v for k, v in data.items() if not (isinstance(k, str) and k.startswith("x-"))}
    try:
        config = HotlineConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_issues(exc, source)) from None
    issues = _cross_check(config, source)
    if not issues:
        issues = prompt_issues(config, source, catalogue or load_catalogue())
    if not issues and config.sms is not None:
        config, issues = _sms_templates(config, path)
    if issues:
        raise ConfigError(issues)
    return config


def _sms_templates(config: HotlineConfig, path: Path) -> tuple[HotlineConfig, list[ConfigIssue]]:
    """The ``sms:`` section's templates file resolved against the config's folder, and checked."""
    from callcenter.sms.templates import TemplateError, load_templates

    assert config.sms is not None
    templates = config.sms.templates
    if templates is not None and not Path(templates).is_absolute():
        templates = str((path if path.is_dir() else path.parent) / templates)
    try:
        load_templates(templates, max_segments=config.sms.max_segments)
    except TemplateError as exc:
        return config, exc.issues
    sms = config.sms.model_copy(update={"templates": templates})
    return config.model_copy(update={"sms": sms}), []


def config_source(path: str | Path | None = None) -> SourceMap:
    """Where each value of the (valid) config at ``path`` comes from (None: the shipped)."""
    return _read(Path(path) if path is not None else default_config_path())[1]


def _read(path: Path) -> tuple[Any, SourceMap]:
    if not path.is_dir():
        return load_yaml(path)
    files = [file for file in inputs.listing(path) if file.suffix in (".yaml", ".yml")]
    if not files:
        raise OSError(f"no *.yaml files in folder {path}")
    merged: dict[str, Any] = {}
    source = SourceMap(default_file=str(path))
    for file in files:
        data, part = load_yaml(file)
        if data is None:
            continue
        if not isinstance(data, dict):
            raise YamlError(Origin(str(file), 1), "expected a mapping at top level")
        for key, value in data.items():
            offset = 0
            if key in LIST_SECTIONS and key in merged:
                if not isinstance(merged[key], list) or not isinstance(value, list):
                    raise YamlError(part.locate((key,)), f"{key} must be a list")
                offset = len(merged[key])
                merged[key] = merged[key] + value
            elif key in merged:
                raise YamlError(part.locate((key,)), f"{key} is also set in another file")
            else:
                merged[key] = value
            for loc, origin in part.origins.items():
                if loc and loc[0] == key:
                    if offset and len(loc) > 1 and isinstance(loc[1], int):
                        loc = (key, loc[1] + offset, *loc[2:])
                    source.origins.setdefault(loc, origin)
    return merged, source


def _cross_check(config: HotlineConfig, source: SourceMap) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []

    def add(loc: Loc, message: str) -> None:
        issues.append(ConfigIssue(source.locate(loc), dotted(loc), message))

    languages = set(config.languages)
    skills = set(config.skills)
    allowed_skills = ", ".join(config.skills)
    queues = {q.name for q in config.queues}

    if config.default_language not in languages:
        add(("default_language",), f"{config.default_language!r} is not among the enabled "
            f"languages ({', '.join(config.languages)})")
    for section, key in (("lines", "number"), ("queues", "name"), ("agents", "id"),
                         ("departments", "id"), ("departments", "number")):
        first: dict[str, int] = {}
        for index, item in enumerate(getattr(config, section)):
            value = getattr(item, key)
            if value in first:
                add((section, index, key),
                    f"duplicate {key} {value!r} (first at {section}[{first[value]}])")
            else:
                first[value] = index
    for name, count in Counter(config.languages).items():
        if count > 1:
            add(("languages",), f"language {name!r} listed twice")
    overlap = languages & set(config.services)
    if overlap:
        add(("services",), f"service names clash with language codes: {sorted(overlap)}")

    for i, queue in enumerate(config.queues):
        for skill in queue.requirements:
            if skill not in skills:
                add(("queues", i, "requirements", skill),
                    f"unknown skill {skill!r}; allowed: {allowed_skills}")
        previous = -1.0
        for j, step in enumerate(queue.escalation):
            if step.after_seconds < previous:
                add(("queues", i, "escalation", j, "after_seconds"),
                    "escalation steps must be in order of after_seconds")
            previous = step.after_seconds
            for k, alternative in enumerate(step.add_alternatives):
                for skill in alternative:
                    if skill not in skills:
                        add(("queues", i, "escalation", j, "add_alternatives", k, skill),
                            f"unknown skill {skill!r}; allowed: {allowed_skills}")
            if step.overflow_queue is not None:
                if step.overflow_queue not in queues:
                    add(("queues", i, "escalation", j, "overflow_queue"),
                        f"unknown queue {step.overflow_queue!r}; known: {', '.join(sorted(queues))}")
                elif step.overflow_queue == queue.name:
                    add(("queues", i, "escalation", j, "overflow_queue"),
                        "a queue cannot overflow to itself")
            if step.overflow_queue and step.overflow_message:
                add(("queues", i, "escalation", j),
                    "a step overflows either to a queue or to a message, not both")

    for i, line in enumerate(config.lines):
        if line.service not in config.services:
            add(("lines", i, "service"),
                f"unknown service {line.service!r}; allowed: {', '.join(config.services)}")
        for language, queue in line.queues.items():
            if language not in languages:
                add(("lines", i, "queues", language),
                    f"language {language!r} is not enabled ({', '.join(config.languages)})")
            if queue not in queues:
                add(("lines", i, "queues", language),
                    f"unknown queue {queue!r}; known: {', '.join(sorted(queues))}")
        if config.default_language not in line.queues:
            add(("lines", i, "queues"), f"no queue for the default language "
                f"{config.default_language!r} (where callers who choose no language wait)")

    for i, agent in enumerate(config.agents):
        for skill in agent.skills:
            if skill not in skills:
                add(("agents", i, "skills", skill),
                    f"unknown skill {skill!r}; allowed: {allowed_skills}")
    outbound = config.outbound
    if outbound is not None and outbound.agent_queue() is not None:
        if outbound.agent_calls.queue in queues:
            add(("outbound", "agent_calls", "queue"), f"{outbound.agent_calls.queue!r} is an inbound "
                "queue; agents' outbound tasks need a queue of their own")
        try:
            outbound.agent_calls.policy(config.service_level.target, config.service_level.threshold_seconds)
        except ValueError as exc:
            add(("outbound", "agent_calls", "blend_margin"), str(exc).partition(": ")[2])
    return issues


def _warnings(config: HotlineConfig, today: dt.date) -> list[str]:
    """Things that are legal but probably not meant (a queue nobody can serve), or soon a problem
    (no working-day calendar for the coming year: case deadlines in it will be refused)."""
    then = ("case deadlines in it are provisional (statutory holidays only, no make-up days)"
            if config.cases.provisional_calendar else "case steps whose deadlines fall in it are refused")
    out = [
        f"cases.calendar: no holiday data for {year}, less than {CALENDAR_NOTICE_DAYS} days away: "
        f"add cases.calendar.{year} (its holidays and make-up working days); until then {then}"
        for year in config.cases.work_calendar().gaps(today, CALENDAR_NOTICE_DAYS)
    ]
    for queue in config.queue_specs():
        if not any(queue.could_serve(agent.skills) for agent in config.agents):
            out.append(f"queue {queue.name}: no agent in the roster has the skills "
                       f"{queue.describe_requirements()}, even after escalation")
    return out


__all__ = [
    "LANGUAGES", "ConfigError", "ConfigIssue", "default_config_path", "load_config",
    "load_config_with_warnings",
]
