"""Typed, validated hotline configuration (lines, languages, queues, agents, departments)."""

from callcenter.config.loader import (
    ConfigError,
    ConfigIssue,
    default_config_path,
    load_config,
    load_config_with_warnings,
)
from callcenter.config.schema import LANGUAGE_NAMES, LANGUAGES, HotlineConfig

__all__ = [
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "ConfigError",
    "ConfigIssue",
    "HotlineConfig",
    "default_config_path",
    "load_config",
    "load_config_with_warnings",
]
