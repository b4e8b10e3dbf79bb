"""``callcenter cases``: what an operator scripts around cases (工单).

Users (no default ones exist), the taxonomy and departments, a period's cases as CSV, the
departments' evaluation and the routine report. A user mistake exits 2 with one line naming
the file, line and field; never a traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from callcenter.casework.accounts import ROLES, AccountError, Accounts
from callcenter.casework.passwords import password_from_file
from callcenter.casework.store import CaseStore
from callcenter.records import StoreError

DEFAULT_DB = "sqlite:///var/callcenter.db"  # what ``callcenter serve`` writes


def fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


@contextmanager
def open_store(url: str | None) -> Iterator[CaseStore]:
    url = url or os.environ.get("CALLCENTER_DB") or DEFAULT_DB
    try:
        store = CaseStore.open(url)
    except StoreError as exc:
        fail(str(exc))
    try:
        yield store
    finally:
        store.close()


db_option = click.option("--db", "url", default=None,
                         help=f"Record database URL (default: $CALLCENTER_DB or {DEFAULT_DB}).")


@click.group("cases")
def cases() -> None:
    """Cases (工单): users, taxonomy and departments, export, evaluation, reports."""


@cases.command("add-user")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True,
              help="agent (hotline agent), supervisor (hotline), department (one department).")
@click.option("--department", default=None, help="The department code (department users only).")
@click.option("--password-file", type=click.Path(path_type=Path), default=None,
              help="Read the password from the first line of this file (mode 0600); "
                   "otherwise it is prompted for.")
@db_option
def add_user(username: str, role: str, department: str | None, password_file: Path | None,
             url: str | None) -> None:
    """Create a user who logs in to the case API (POST /api/session)."""
    from callcenter.casework.directory import known_departments

    with open_store(url) as store:
        try:
            if password_file is not None:
                password = password_from_file(password_file)
            else:
                password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
            Accounts(store.records).add_user(username, role, password, department,
                                             known_departments(store))
        except AccountError as exc:
            fail(str(exc))
    click.echo(f"user {username} ({role}{', ' + department if department else ''}) created")


@cases.command("users")
@db_option
def list_users(url: str | None) -> None:
    """List the active users."""
    with open_store(url) as store:
        for user in Accounts(store.records).users():
            click.echo(f"{user.username}\t{user.role}\t{user.department or ''}")
