"""Random identifiers: Via branches, From/To tags and Call-IDs (RFC 3261 sections 8.1.1, 19.3)."""

from __future__ import annotations

import secrets

from callcenter.sip.message import BRANCH_MAGIC


def new_branch() -> str:
    """A globally unique branch carrying the RFC 3261 magic cookie."""
    return BRANCH_MAGIC + secrets.token_hex(10)


def new_tag() -> str:
    """A From/To tag with 64 bits of randomness."""
    return secrets.token_hex(8)


def new_call_id(host: str) -> str:
    """A Call-ID unique across space and time."""
    return f"{secrets.token_hex(12)}@{host}"
