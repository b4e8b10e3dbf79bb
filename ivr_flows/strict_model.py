"""The pydantic settings our configuration, flow and scenario models share."""

from __future__ import annotations

from pydantic import ConfigDict

STRICT = ConfigDict(extra="forbid", frozen=True, defer_build=True)
"""Unknown fields refused, values frozen; a model's validator is built at its first validation,
not when its class is made (a load kept from an earlier run validates nothing)."""
