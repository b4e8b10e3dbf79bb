"""The one exception family of the case core: refused input, nothing changed."""

from __future__ import annotations


class CaseError(ValueError):
    """An event or request the case core refuses; the message names the field. Nothing changed."""


class IllegalTransition(CaseError):
    """The event is not allowed in the case's current status."""


class Forbidden(CaseError):
    """The actor may not do this (wrong role, or a department that does not own the case)."""
