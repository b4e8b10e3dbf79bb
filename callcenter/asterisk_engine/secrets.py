"""Secrets for the Asterisk side: the AMI secret and the seats' SIP passwords. No defaults.

They come from the environment (``CALLCENTER_AMI_SECRET``, ``CALLCENTER_SIP_PASSWORD_<agent>``)
or from a private secrets file of ``name = value`` lines (``ami = ...``, ``<agent id> = ...``);
the environment wins. A missing secret raises :class:`MissingSecret` naming where to put it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from callcenter.telephony.passwords import ENV_PREFIX, load_passwords

AMI_SECRET_ENV = "CALLCENTER_AMI_SECRET"
AMI_SECRET_KEY = "ami"


class MissingSecret(ValueError):
    """A secret that neither the environment nor the secrets file provides."""


def _file_values(secrets_file: Path | str | None) -> dict[str, str]:
    return load_passwords(secrets_file) if secrets_file is not None else {}


def _where(variable: str, key: str, secrets_file: Path | str | None) -> str:
    source = f"'{key} = ...' in {secrets_file}" if secrets_file else "a secrets file (--secrets)"
    return f"set {variable} or put {source}"


def ami_secret(secrets_file: Path | str | None = None,
               environ: Mapping[str, str] | None = None) -> str:
    """The AMI user's secret."""
    environ = os.environ if environ is None else environ
    value = environ.get(AMI_SECRET_ENV) or _file_values(secrets_file).get(AMI_SECRET_KEY)
    if not value:
        raise MissingSecret(f"AMI secret missing: {_where(AMI_SECRET_ENV, AMI_SECRET_KEY, secrets_file)}")
    return value


def seat_passwords(agent_ids: Iterable[str], secrets_file: Path | str | None = None,
                   environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every agent's SIP password; all missing ones are named in one error."""
    environ = os.environ if environ is None else environ
    stored = _file_values(secrets_file)
    passwords: dict[str, str] = {}
    missing: list[str] = []
    for agent_id in agent_ids:
        value = environ.get(f"{ENV_PREFIX}{agent_id}") or stored.get(agent_id)
        if value:
            passwords[agent_id] = value
        else:
            missing.append(agent_id)
    if missing:
        names = ", ".join(f"{ENV_PREFIX}{agent}" for agent in missing[:5])
        more = f" (and {len(missing) - 5} more)" if len(missing) > 5 else ""
        where = (f"'<agent id> = ...' lines in {secrets_file}" if secrets_file
                 else "a secrets file (--secrets)")
        raise MissingSecret(f"SIP password missing for agent(s) {', '.join(missing)}: "
                            f"set {names}{more} or put {where}")
    return passwords
