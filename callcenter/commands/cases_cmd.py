"""``callcenter cases``: what an operator scripts around cases (工单).

Users (no default ones exist), the taxonomy and departments, a period's cases as CSV, the
departments' evaluation and the routine report. A user mistake exits 2 with one line naming
the file, line and field; never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


@cases.command("import-taxonomy")
@click.argument("path", type=click.Path(path_type=Path))
@db_option
def import_taxonomy_cmd(path: Path, url: str | None) -> None:
    """Replace the request taxonomy with a YAML file (the shape of the shipped one)."""
    from callcenter.casework.directory import DirectoryError, import_taxonomy

    with open_store(url) as store:
        try:
            taxonomy = import_taxonomy(store, path)
        except DirectoryError as exc:
            fail(str(exc))
    click.echo(f"taxonomy: {len(taxonomy.categories)} categories imported from {path}")


@cases.command("import-departments")
@click.argument("path", type=click.Path(path_type=Path))
@db_option
def import_departments_cmd(path: Path, url: str | None) -> None:
    """Replace the handling departments with a CSV file (header ``code,name``)."""
    from callcenter.casework.directory import DirectoryError, import_departments

    with open_store(url) as store:
        try:
            departments = import_departments(store, path)
        except DirectoryError as exc:
            fail(str(exc))
    click.echo(f"departments: {len(departments)} imported from {path}")


def _period(store: CaseStore, start: str, end: str | None) -> tuple[float, float]:
    from callcenter.casework.service import CaseRefused, build_service

    try:
        first = dt.date.fromisoformat(start)
    except ValueError:
        fail(f"--from: {start!r} is not a date (YYYY-MM-DD)")
    try:
        last = dt.date.fromisoformat(end) if end else first
    except ValueError:
        fail(f"--to: {end!r} is not a date (YYYY-MM-DD)")
    try:
        return build_service(store).period(first, last)
    except CaseRefused:
        fail("--to: before --from")
    raise AssertionError  # pragma: no cover


period_options = [
    click.option("--from", "start", required=True, help="First day, YYYY-MM-DD (local)."),
    click.option("--to", "end", default=None, help="Last day, YYYY-MM-DD (default: --from)."),
]


def _with_period(fn):  # type: ignore[no-untyped-def]
    for option in reversed(period_options):
        fn = option(fn)
    return fn


@cases.command("export")
@_with_period
@click.option("--out", type=click.File("w", encoding="utf-8"), default="-", show_default=True,
              help="CSV file to write.")
@db_option
def export(start: str, end: str | None, out: Any, url: str | None) -> None:
    """Write the cases taken in over a period as CSV (one row per case)."""
    from callcenter.casework.export import write_csv

    with open_store(url) as store:
        t0, t1 = _period(store, start, end)
        count = write_csv(store, t0, t1, out)
    click.echo(f"{count} cases exported", err=True)


@cases.command("evaluation")
@_with_period
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@db_option
def evaluation(start: str, end: str | None, as_json: bool, url: str | None) -> None:
    """Print the departments' evaluation (评价与考核) and the hotline's 直办率 and 办结率."""
    from callcenter.casework.service import build_service
    from callcenter.casework.tables import evaluation_text

    with open_store(url) as store:
        t0, t1 = _period(store, start, end)
        result = build_service(store).evaluation(t0, t1)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(evaluation_text(result), nl=False)


@cases.command("report")
@_with_period
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@db_option
def report(start: str, end: str | None, as_json: bool, url: str | None) -> None:
    """Print the routine report: counts by kind, category, district, department, channel,
    language and urgency, and the evaluation."""
    from callcenter.casework.service import build_service
    from callcenter.casework.tables import report_text

    with open_store(url) as store:
        t0, t1 = _period(store, start, end)
        result = build_service(store).report(t0, t1)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(report_text(result), nl=False)


@cases.command("special")
@_with_period
@click.option("--minimum", type=click.IntRange(min=2), default=10, show_default=True,
              help="Requests on one place or subject that make it a hotspot.")
@db_option
def special(start: str, end: str | None, minimum: int, url: str | None) -> None:
    """Print the special report (专题): the places and subjects where requests concentrated."""
    from callcenter.casework.service import build_service
    from callcenter.casework.tables import text_table

    with open_store(url) as store:
        t0, t1 = _period(store, start, end)
        spots = build_service(store).special(t0, t1, minimum)
    rows = [["kind", "where / what", "requests", "first case", "last case"]]
    rows += [[s.kind, s.key, str(s.count), s.case_ids[0], s.case_ids[-1]] for s in spots]
    click.echo(text_table(rows) if spots else f"no place or subject with {minimum} or more requests\n",
               nl=False)
