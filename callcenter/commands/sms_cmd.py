"""``callcenter sms``: a test SMS through the configured SMSC, and the outbox."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import click

from callcenter.commands.options import fail


@click.group("sms")
def sms() -> None:
    """SMS notices over SMPP: a test message, the outbox."""


@sms.command("test")
@click.argument("number")
@click.option("--config", "config_path", type=click.Path(), default=None,
              help="Hotline config file or folder with an sms: section.")
@click.option("--secrets", "secrets_file", type=click.Path(path_type=Path), default=None,
              help="Secrets file with the 'smpp = ...' line (else $CALLCENTER_SMPP_PASSWORD).")
@click.option("--text", default="12345 SMS test", show_default=True, help="The message.")
@click.option("--wait", type=click.FloatRange(min=1), default=30.0, show_default=True,
              help="Seconds to wait for the answer and the delivery report.")
def test(number: str, config_path: str | None, secrets_file: Path | None, text: str, wait: float) -> None:
    """Send one SMS to NUMBER (a mainland mobile number) and report each step; exit 1 if the
    SMSC fails it."""
    from callcenter.config import ConfigError, load_config
    from callcenter.sms.probe import ProbeFailed, send_test
    from callcenter.sms.sender import MissingSmppSecret, smpp_password
    from callcenter.telephony.passwords import PasswordFileError
    from outbound.numbers import mainland_mobile

    mobile = mainland_mobile(number)
    if mobile is None:
        fail(f"NUMBER: {number!r} is not a mainland mobile number")
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        fail(f"config invalid: {exc.issues[0]}")
    if config.sms is None:
        fail("config: no sms: section (see the README's SMS notices)")
    try:
        password = smpp_password(config.sms, secrets_file)
    except (MissingSmppSecret, PasswordFileError) as exc:
        fail(f"sms: {exc}")
    source = config.sms.source or config.lines[0].number
    try:
        lines = asyncio.run(send_test(config.sms, password, mobile, text, source=source, wait=wait))
    except ProbeFailed as exc:
        click.echo(f"failed: {exc}", err=True)
        raise SystemExit(1) from None
    for line in lines:
        click.echo(line)


@sms.command("outbox")
@click.option("--db", "db_url", default=None, help="The engine's database (default: as serve).")
@click.option("--status", type=click.Choice(["queued", "sent", "delivered", "failed"]), default=None,
              help="Only messages in this state.")
@click.option("--case", "case_id", default=None, help="Only this case's messages.")
def outbox(db_url: str | None, status: str | None, case_id: str | None) -> None:
    """List the SMS outbox: message, state, attempts, when it may go, the last detail."""
    from callcenter.casework.store import CaseStore
    from callcenter.records import StoreError, default_url
    from callcenter.sms.outbox import Outbox

    try:
        store = CaseStore.open(db_url or default_url())
    except StoreError as exc:
        fail(f"--db: {exc}")
    try:
        rows = [m for m in Outbox(store).messages(case_id) if status is None or m["status"] == status]
    finally:
        store.close()
    for m in rows:
        when = dt.datetime.fromtimestamp(m["not_before"]).strftime("%Y-%m-%d %H:%M")
        click.echo(f"{m['message_id']}  {m['status']:9}  {m['segments']} SMS  {m['language']}  "
                   f"attempts {m['attempts']}  from {when}  {m['detail']}")
    click.echo(f"{len(rows)} message(s)")
