"""``callcenter agent-phone``: a pjsua2 softphone seat for one agent, with a text UI."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import click

from callcenter.commands.options import require
from callcenter.telephony.passwords import ENV_PREFIX, PasswordFileError, load_passwords


def _password(agent: str, password_file: Path | None) -> str:
    if password_file is not None:
        try:
            password = load_passwords(password_file).get(agent)
        except PasswordFileError as exc:
            raise click.UsageError(str(exc)) from None
        if not password:
            raise click.UsageError(f"{password_file}: no password for agent {agent}")
        return password
    password = os.environ.get(ENV_PREFIX + agent)
    if not password:
        raise click.UsageError(f"no password: use --password-file or set {ENV_PREFIX}{agent}")
    return password


@click.command("agent-phone")
@click.option("--server", default="127.0.0.1:5060", show_default=True,
              help="The engine's SIP address (host:port).")
@click.option("--agent", required=True, help="Agent id (the seat's SIP user).")
@click.option("--password-file", type=click.Path(path_type=Path), default=None,
              help=f"'agent_id = password' lines (mode 0600); else ${ENV_PREFIX}<agent>.")
@click.option("--bind", default="127.0.0.1", show_default=True, help="Local SIP/RTP address.")
@click.option("--port", type=int, default=0, help="Local SIP port (default: any free one).")
@click.option("--login", "login_first", is_flag=True, help="Dial *11 (login, ready) once registered.")
@click.option("--auto-answer", type=float, default=None, metavar="SECONDS",
              help="Answer incoming calls after this many seconds.")
@click.option("--tone", type=float, default=None, metavar="HZ",
              help="Send a tone on answered calls.")
@click.option("--hangup-after", type=float, default=None, metavar="SECONDS",
              help="Hang up answered calls after this many seconds.")
@click.option("--record", type=click.Path(path_type=Path), default=None,
              help="Record what the seat hears on answered calls to this WAV file.")
@click.option("--log-level", type=click.IntRange(0, 6), default=0, help="pjsua2 log level.")
def agent_phone(server: str, agent: str, password_file: Path | None, bind: str, port: int,
                login_first: bool, auto_answer: float | None, tone: float | None,
                hangup_after: float | None, record: Path | None, log_level: int) -> None:
    """A softphone seat: registers AGENT at SERVER and reads commands from standard input.

    Events are printed one per line (registered, ringing, connected, ended, feature ...).
    With --auto-answer the phone keeps running after the end of input, until interrupted.
    """
    require("pjsua2", "agent-phone", "phone")
    password = _password(agent, password_file)
    from callcenter.phone.softphone import AutoMode, Softphone
    from callcenter.phone.ui import EventPrinter, run
    from callcenter.phone.worker import PjWorker

    printer = EventPrinter(sys.stdout)
    worker = PjWorker(bind, port, log_level=log_level).start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        auto = AutoMode(auto_answer, tone, hangup_after, record)
        phone = Softphone(worker, server, agent, password=password, on_event=printer, auto=auto)
        if not printer.registration.wait(10) or not printer.registered:
            printer.say(f"error agent {agent} could not register at {server}")
            sys.exit(1)
        if login_first:
            phone.login()
        run(phone, sys.stdin, printer, stay=auto_answer is not None)
        phone.unregister()
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()
