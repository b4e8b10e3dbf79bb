"""Simulation scenarios: arrivals, time distributions, staffing, shifts and breaks.

A scenario names a hotline configuration (``center``) whose lines, queues and roster it uses;
``staffing`` replaces the roster. Every error names the field (and the file line), e.g.
``day.yaml:12: arrivals[1].per_hour: expected 24 hourly rates, got 23``.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import annotated_types
from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    field_validator,
    model_validator,
)

from callcenter.config import ConfigError, HotlineConfig, load_config
from callcenter.config.schema import Language
from callcenter.config.yaml_source import (
    SourceError,
    SourceIssue,
    SourceMap,
    dotted,
    load_yaml_or_raise,
    validate_mapping,
)
from ivr_flows.issues import FlowError
from ivr_flows.kept_loads import kept_load
from ivr_flows.model import ASKING_KINDS, CollectNode
from ivr_flows.routes import flow_routes
from ivr_flows.strict_model import STRICT
from simulator.ivr_setup import DEFAULT_PROMPTS_DIR, IvrSetup, load_ivr, shipped_catalogue

NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Proficiency = Annotated[int, Field(ge=1, le=5)]
HOURS_PER_DAY = 24
MAX_HOURS = 24 * 366


class _Model(BaseModel):
    model_config = STRICT


class Distribution(_Model):
    """A time in seconds: ``exponential``/``fixed`` (mean), ``lognormal`` (mean, sd),
    ``empirical`` (samples drawn uniformly) or ``none`` (never: infinite patience)."""

    distribution: Literal["exponential", "lognormal", "fixed", "empirical", "none"]
    mean_seconds: NonNegative | None = None
    sd_seconds: Positive | None = None
    samples: list[NonNegative] | None = None

    @model_validator(mode="after")
    def _parameters(self) -> Distribution:
        kind = self.distribution
        if kind in ("exponential", "lognormal") and not self.mean_seconds:
            raise ValueError(f"{kind} needs mean_seconds > 0")
        if kind == "fixed" and self.mean_seconds is None:
            raise ValueError("fixed needs mean_seconds")
        if kind == "lognormal" and self.sd_seconds is None:
            raise ValueError("lognormal needs sd_seconds")
        if kind == "empirical" and not self.samples:
            raise ValueError("empirical needs a non-empty samples list")
        return self

    @property
    def mean(self) -> float:
        """The distribution's mean in seconds (inf for ``none``)."""
        if self.distribution == "none":
            return math.inf
        if self.distribution == "empirical":
            assert self.samples
            return sum(self.samples) / len(self.samples)
        return float(self.mean_seconds or 0.0)


def fixed(seconds: float) -> Distribution:
    return Distribution(distribution="fixed", mean_seconds=seconds)


def never() -> Distribution:
    """Infinite patience."""
    return Distribution(distribution="none")


class ServiceLevelOverride(_Model):
    threshold_seconds: Positive


class Arrival(_Model):
    """A Poisson stream of calls of one line and language: a constant rate or 24 hourly rates
    (repeated each day)."""

    name: str | None = None
    line: str = "12345"
    language: Language = "zh"
    calls_per_hour: NonNegative | None = None
    per_hour: list[NonNegative] | None = None
    handle_time: Distribution | None = None
    patience: Distribution | None = None
    priority: Annotated[int, Field(ge=0, le=100)] = 0

    @field_validator("per_hour")
    @classmethod
    def _24_hours(cls, value: list[float] | None) -> list[float] | None:
        if value is not None and len(value) != HOURS_PER_DAY:
            raise ValueError(f"expected {HOURS_PER_DAY} hourly rates, got {len(value)}")
        return value

    @model_validator(mode="after")
    def _one_rate(self) -> Arrival:
        if (self.calls_per_hour is None) == (self.per_hour is None):
            raise ValueError("give exactly one of calls_per_hour or per_hour")
        return self

    def hourly_rates(self) -> list[float]:
        """Calls per hour for each hour of the day."""
        if self.per_hour is not None:
            return list(self.per_hour)
        return [float(self.calls_per_hour or 0.0)] * HOURS_PER_DAY

    def label(self, index: int) -> str:
        return self.name or f"{self.line}-{self.language}-{index}"


class Shift(_Model):
    """On duty from ``start_hour`` to ``end_hour`` (hours from the start of the run)."""

    start_hour: NonNegative
    end_hour: Positive

    @model_validator(mode="after")
    def _ordered(self) -> Shift:
        if self.end_hour <= self.start_hour:
            raise ValueError("end_hour must be after start_hour")
        return self


class Break(_Model):
    """A break of ``minutes``; the group's agents start it spread evenly over
    ``[start_hour, start_hour + stagger_minutes]``."""

    start_hour: NonNegative
    minutes: Positive
    stagger_minutes: NonNegative = 0.0


class StaffGroup(_Model):
    """``count`` identical agents; no shifts means on duty for the whole run."""

    name: str | None = None
    count: Annotated[int, Field(ge=1, le=100_000)]
    skills: dict[str, Proficiency]
    wrap_up_seconds: NonNegative | None = None
    shifts: list[Shift] = []
    breaks: list[Break] = []


KEYS = frozenset("0123456789*#")
SILENCE = "silence"


def _odds(options: dict[str, float]) -> dict[str, float]:
    """What callers do at one node: phone keys or ``silence``, probabilities adding up to 1."""
    if not options:
        raise ValueError("no choices")
    for keys in options:
        if keys != SILENCE and not (keys and set(keys) <= KEYS):
            raise ValueError(f"{keys!r} is neither phone keys (0-9 * #) nor {SILENCE!r}")
    total = sum(options.values())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"probabilities add up to {total:g}, not 1")
    return options


Odds = Annotated[dict[str, Annotated[float, Field(ge=0, le=1)]], AfterValidator(_odds)]


class IvrCallers(_Model):
    """How simulated callers walk their line's flow (``ivr`` in a scenario).

    ``choices`` maps ``flow.node`` (a menu, entry, survey or callback node) to what callers do
    there: keys (a menu key, or a whole entry such as an ID number; an entry gets its
    terminator) or ``silence``, with probabilities summing to 1. At a node not listed a caller
    heads for the queue of their language by the fewest nodes (keys before silence on a tie),
    and keeps silent when no choice leads there. Keys come ``reaction_seconds`` after the
    node's prompts end, ``digit_seconds`` apart; a plug-in answers after ``query_seconds``.
    ``patience`` is how long a caller stays in the IVR before hanging up.
    """

    prompts: Literal["auto", "audio", "estimate"] = "auto"
    prompts_dir: str | None = None
    reaction_seconds: Annotated[float, Field(ge=0, le=60)] = 1.0
    digit_seconds: Annotated[float, Field(gt=0, le=10)] = 0.4
    query_seconds: Annotated[float, Field(ge=0, le=60)] = 0.5
    patience: Distribution = Field(default_factory=never)
    choices: dict[str, Odds] = {}

    @field_validator("choices")
    @classmethod
    def _nodes(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for where in value:
            if "." not in where:
                raise ValueError(f"{where!r}: name a node as flow.node (line_12329.main_menu)")
        return value


class Scenario(_Model):
    """A simulation scenario (see the module docstring)."""

    center: str = "default"
    duration_hours: Annotated[float, Field(gt=0, le=MAX_HOURS, allow_inf_nan=False)]
    warmup_hours: NonNegative = 0.0
    service_level: ServiceLevelOverride | None = None
    arrivals: Annotated[list[Arrival], Field(min_length=1)]
    handle_time: Distribution = Field(
        default_factory=lambda: Distribution(distribution="exponential", mean_seconds=300))
    patience: Distribution = Field(default_factory=never)
    ivr_time: Distribution | None = None
    ivr: IvrCallers = Field(default_factory=IvrCallers)
    ring_time: Distribution = Field(default_factory=lambda: fixed(0.0))
    wrap_up_seconds: NonNegative | None = None
    no_answer_ready_seconds: NonNegative = 10.0
    staffing: list[StaffGroup] | None = None

    @field_validator("ivr_time")
    @classmethod
    def _no_ivr_time(cls, value: Distribution | None) -> Distribution | None:
        if value is not None:
            raise ValueError("the time in the IVR comes from walking the line's flow: remove "
                             "ivr_time (the ivr section sets the callers' choices and timing)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.warmup_hours >= self.duration_hours:
            raise ValueError("warmup_hours must be shorter than duration_hours")
        for name in ("handle_time", "ring_time"):
            if getattr(self, name).distribution == "none":
                raise ValueError(f"{name}: 'none' is only allowed for patience")
        for arrival in self.arrivals:
            if arrival.handle_time is not None and arrival.handle_time.distribution == "none":
                raise ValueError("an arrival's handle_time cannot be 'none'")
        return self


ScenarioIssue = SourceIssue


class ScenarioError(SourceError):
    """The scenario is invalid; ``issues`` lists every problem found."""


@dataclass(frozen=True, slots=True)
class LoadedScenario:
    """A validated scenario with its hotline configuration and the flows its callers walk
    (``ivr``: loaded on first use when not given)."""

    scenario: Scenario
    config: HotlineConfig
    path: Path
    ivr: IvrSetup | None = None

    def ivr_setup(self) -> IvrSetup:
        return self.ivr if self.ivr is not None else load_ivr(self.config, self.scenario.ivr.prompts,
                                                              _prompts_dir(self.scenario, self.path))


def _prompts_dir(scenario: Scenario, base: Path) -> Path:
    """``ivr.prompts_dir`` relative to the scenario's folder; by default serve's own."""
    given = scenario.ivr.prompts_dir
    if given is None:
        return DEFAULT_PROMPTS_DIR
    return Path(given) if Path(given).is_absolute() else base / given


def shipped_scenarios() -> dict[str, Path]:
    """Scenarios shipped with the package, by name (file stem)."""
    folder = Path(str(resources.files("simulator") / "scenarios"))
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))}


def resolve_scenario_path(name_or_path: str | Path) -> Path:
    """A path as given, or a shipped scenario's name (``jinan-day``)."""
    path = Path(name_or_path)
    if path.exists() or path.suffix in (".yaml", ".yml"):
        return path
    shipped = shipped_scenarios()
    if str(name_or_path) in shipped:
        return shipped[str(name_or_path)]
    return path


def parse_scenario(data: Any, source: SourceMap, base: Path) -> LoadedScenario:
    """Validate loaded YAML data; ``base`` is the folder a relative ``center`` path is in."""
    scenario = validate_mapping(Scenario, data, source, ScenarioError)
    try:
        if scenario.center == "default":
            config = load_config(None, shipped_catalogue())
        else:
            center = Path(scenario.center)
            config = load_config(center if center.is_absolute() else base / center,
                                 shipped_catalogue())
    except ConfigError as exc:
        raise ScenarioError(
            [ScenarioIssue(source.locate(("center",)), "center", f"invalid hotline config:\n{exc}")]
        ) from None
    try:
        ivr = load_ivr(config, scenario.ivr.prompts, _prompts_dir(scenario, base))
    except FlowError as exc:
        raise ScenarioError([ScenarioIssue(source.locate(("center",)), "center",
                                           f"the flows of its lines do not fit it:\n{exc}")]) from None
    except FileNotFoundError as exc:
        raise ScenarioError([ScenarioIssue(source.locate(("ivr", "prompts")), "ivr.prompts",
                                           str(exc))]) from None
    issues = _cross_check(scenario, config, source) or _choice_issues(scenario, ivr, source)
    if not issues:
        issues = _unserved_queues(scenario, config, ivr, source)
    if issues:
        raise ScenarioError(issues)
    return LoadedScenario(scenario, config, base, ivr)


def _cross_check(scenario: Scenario, config: HotlineConfig, source: SourceMap) -> list[
    ScenarioIssue
]:
    issues: list[ScenarioIssue] = []

    def add(loc: tuple[Any, ...], message: str) -> None:
        issues.append(ScenarioIssue(source.locate(loc), dotted(loc), message))

    numbers = [line.number for line in config.lines]
    for i, arrival in enumerate(scenario.arrivals):
        if arrival.line not in numbers:
            add(("arrivals", i, "line"),
                f"unknown line {arrival.line!r}; the center has {', '.join(numbers)}")
        elif arrival.language not in config.languages:
            add(("arrivals", i, "language"),
                f"language {arrival.language!r} is not enabled in the center "
                f"({', '.join(config.languages)})")
    skills = set(config.skills)
    for i, group in enumerate(scenario.staffing or []):
        for skill in group.skills:
            if skill not in skills:
                add(("staffing", i, "skills", skill),
                    f"unknown skill {skill!r}; allowed: {', '.join(config.skills)}")
    if scenario.staffing is None and not config.agents:
        add(("staffing",), "the center has no agents; give a staffing section")
    return issues


def _choice_issues(scenario: Scenario, ivr: IvrSetup, source: SourceMap) -> list[ScenarioIssue]:
    """``ivr.choices`` name nodes that ask the caller, with keys those nodes can take."""
    issues = []
    for where, options in scenario.ivr.choices.items():
        loc = ("ivr", "choices", where)
        flow_name, _, node_name = where.partition(".")
        flow = ivr.flows.get(flow_name)
        node = flow.nodes.get(node_name) if flow is not None else None
        problem = None
        if flow is None:
            problem = f"unknown flow {flow_name!r}; known: {', '.join(sorted(ivr.flows))}"
        elif node is None:
            problem = f"flow {flow_name} has no node {node_name!r}"
        elif not isinstance(node, ASKING_KINDS):
            problem = f"node {node_name!r} is a {node.kind} node: callers choose only at " \
                      f"menu, collect, survey and callback nodes"
        elif not isinstance(node, CollectNode) and any(
                len(keys) != 1 for keys in options if keys != SILENCE):
            problem = f"a {node.kind} node takes one key per choice"
        if problem:
            issues.append(ScenarioIssue(source.locate(loc), dotted(loc), problem))
    return issues


def arrival_queues(arrival: Arrival, config: HotlineConfig, ivr: IvrSetup) -> set[str]:
    """The queues callers of ``arrival`` can reach through their line's flow: those of their
    language, or (a flow offering no such choice) those of the flow's own language."""
    routes = flow_routes(ivr.flows, config.line(arrival.line).flow, config.default_language)
    if arrival.language in routes:
        return routes[arrival.language]
    start = ivr.flows[config.line(arrival.line).flow].language or config.default_language
    return routes.get(start) or {q for queues in routes.values() for q in queues}


def _unserved_queues(scenario: Scenario, config: HotlineConfig, ivr: IvrSetup,
                     source: SourceMap) -> list[ScenarioIssue]:
    """A queue the arrivals reach where no agent (nor any queue it overflows to) can serve."""
    specs = {spec.name: spec for spec in config.queue_specs()}
    rosters = ([group.skills for group in scenario.staffing] if scenario.staffing is not None
               else [agent.skills for agent in config.agents])
    where = ("staffing",) if scenario.staffing is not None else ("center",)
    issues: list[ScenarioIssue] = []
    reported: set[str] = set()
    for i, arrival in enumerate(scenario.arrivals):
        for name in sorted(arrival_queues(arrival, config, ivr)):
            chain = [name]
            while (nxt := next((s.overflow_queue for s in specs[chain[-1]].escalation
                                if s.overflow_queue), None)) and nxt not in chain:
                chain.append(nxt)
            if name in reported or any(specs[q].could_serve(skills) for q in chain
                                       for skills in rosters):
                continue
            reported.add(name)
            whose = "the staffing" if scenario.staffing is not None else "the center's roster"
            issues.append(ScenarioIssue(
                source.locate(where), f"queues[{name}]",
                f"no agent has the skills {specs[name].describe_requirements()} in {whose}; "
                f"calls of arrivals[{i}] (line {arrival.line}, {arrival.language}) reach it "
                f"through flow {config.line(arrival.line).flow} and would be lost"))
    return issues


def load_scenario(path: str | Path) -> LoadedScenario:
    """Load and validate a scenario file (or a shipped scenario's name): kept between runs
    while every file it read and the code are as they were (``ivr_flows.kept_loads``)."""
    path = resolve_scenario_path(path)

    def load() -> LoadedScenario:
        data, source = load_yaml_or_raise(path, ScenarioError)
        return parse_scenario(data, source, path.parent)

    return kept_load("scenario", str(path), load)


def with_duration(scenario: Scenario, hours: float) -> Scenario:
    """``scenario`` lasting ``hours``; a duration the scenario could not have raises pydantic's
    ``ValidationError`` as the file's own value would. The model's own rules decide: the
    field's bounds (from its metadata) and every after-validator of the model are checked on
    the copy; a rule of another kind, or a failed check, has the whole model validated (which
    builds its validator: a kept load has not)."""
    model = type(scenario)
    if _meets(model.model_fields["duration_hours"].metadata, hours):
        longer = scenario.model_copy(update={"duration_hours": float(hours)})
        if _after_checks_pass(longer):
            return longer
    return model.model_validate({**scenario.model_dump(), "duration_hours": hours})


_BOUNDS = {annotated_types.Gt: ("gt", operator.gt), annotated_types.Ge: ("ge", operator.ge),
           annotated_types.Lt: ("lt", operator.lt), annotated_types.Le: ("le", operator.le)}


def _meets(metadata: list[Any], value: Any) -> bool:
    """Whether a number meets every constraint of a field's ``metadata`` (bounds, finiteness);
    False for a constraint of another kind."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    for constraint in metadata:
        bound = _BOUNDS.get(type(constraint))
        if bound is not None:
            name, holds = bound
            if not holds(value, getattr(constraint, name)):
                return False
        elif getattr(constraint, "__dict__", None) == {"allow_inf_nan": False}:
            if not math.isfinite(value):
                return False
        else:
            return False
    return True


def _after_checks_pass(model: BaseModel) -> bool:
    """Whether every model validator of ``model``'s class is an after-validator that accepts it
    (and no field validator could see its duration)."""
    decorators = type(model).__pydantic_decorators__
    if any(not {"duration_hours", "*"}.isdisjoint(found.info.fields)
           for found in decorators.field_validators.values()):
        return False
    try:
        for found in decorators.model_validators.values():
            if found.info.mode != "after":
                return False
            getattr(model, found.cls_var_name)()
    except (ValueError, AssertionError, TypeError):
        return False
    return True


def scenario_from_dict(data: dict[str, Any], base: Path | None = None) -> LoadedScenario:
    """Validate a scenario given as a mapping (tests, benchmarks)."""
    return parse_scenario(data, SourceMap(default_file="<scenario>"), base or Path.cwd())
