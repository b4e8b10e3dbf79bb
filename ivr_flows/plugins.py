"""Self-service query plug-ins: registered explicitly on a registry that is passed in."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ivr_flows.commands import RunQuery
from ivr_flows.events import QueryAnswered


@dataclass(frozen=True, slots=True)
class QueryResult:
    """A plug-in's answer: an ``outcome`` the flow branches on, and values for prompts."""

    outcome: str
    values: Mapping[str, str] = field(default_factory=dict)


Plugin = Callable[[Mapping[str, str]], QueryResult]


class PluginRegistry:
    """Plug-ins by name. Nothing registers itself at import time."""

    def __init__(self) -> None:
        self._plugins: dict[str, Plugin] = {}

    def register(self, name: str, plugin: Plugin) -> None:
        if name in self._plugins:
            raise ValueError(f"plug-in '{name}' is already registered")
        self._plugins[name] = plugin

    def names(self) -> frozenset[str]:
        return frozenset(self._plugins)

    def answer(self, command: RunQuery) -> QueryAnswered:
        """Run the plug-in for ``command``; any exception becomes the ``error`` outcome."""
        plugin = self._plugins.get(command.plugin)
        if plugin is None:
            return QueryAnswered(command.query_id, "error", {"reason": "unknown plug-in"})
        try:
            result = plugin(command.arguments)
        except Exception as exc:  # noqa: BLE001 - a failing plug-in is the error branch
            return QueryAnswered(command.query_id, "error", {"reason": repr(exc)})
        return QueryAnswered(command.query_id, result.outcome, dict(result.values))


def default_registry() -> PluginRegistry:
    """The plug-ins the default flows use, over the shipped sample data."""
    from ivr_flows.housing_fund import HousingFundBalance

    registry = PluginRegistry()
    registry.register("housing_fund_balance", HousingFundBalance())
    return registry
