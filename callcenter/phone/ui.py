"""The agent phone's text UI: one command per line in, one event per line out."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TextIO

from callcenter.phone.softphone import PhoneEvent, Softphone

HELP = """commands:
  login              log in and become ready (*11)
  logout             log out (*12)
  ready              ready for calls (*13)
  notready [reason]  not ready (*14N): break, meal, training, meeting, paperwork,
                     coaching, technical (default break)
  answer             answer the ringing call
  hangup             hang up the current call
  transfer NUMBER    blind-transfer the caller to a department number (REFER)
  wrapup             wrap-up done (*15)
  quit               unregister and exit"""


class EventPrinter:
    """Writes :class:`PhoneEvent` lines (``ringing call=0 sip:12345@...``) from any thread."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._lock = threading.Lock()
        self.registration = threading.Event()  # the first registration answer arrived
        self.registered = False

    def __call__(self, event: PhoneEvent) -> None:
        if event.kind in ("registered", "registration-failed"):
            self.registered = event.kind == "registered"
            self.registration.set()
        call = f" call={event.call}" if event.call >= 0 else ""
        self.say(f"{event.kind}{call} {event.detail}".rstrip())

    def say(self, line: str) -> None:
        with self._lock:
            self.out.write(line + "\n")
            self.out.flush()


def command(phone: Softphone, line: str) -> bool:
    """Carry out one command line; False for ``quit``."""
    words = line.split()
    if not words:
        return True
    name, args = words[0].lower(), words[1:]
    actions: dict[str, Callable[[], object]] = {
        "login": phone.login, "logout": phone.logout, "ready": phone.ready,
        "wrapup": phone.wrap_up_done,
        "answer": phone.answer, "hangup": phone.hangup,
    }
    if name in ("quit", "exit"):
        return False
    if name == "help":
        raise LookupError(HELP)
    if name == "notready":
        phone.not_ready(args[0] if args else "break")
        return True
    if name == "transfer":
        if len(args) != 1 or not args[0].isdigit():
            raise ValueError("usage: transfer NUMBER (a department's number)")
        phone.transfer(args[0])
        return True
    action = actions.get(name)
    if action is None:
        raise ValueError(f"unknown command {name!r}; type 'help'")
    action()
    return True


def run(phone: Softphone, lines: TextIO, printer: EventPrinter, *, stay: bool) -> None:
    """Read commands until ``quit`` or end of input (``stay``: then wait until interrupted)."""
    printer.say("type 'help' for commands")
    for line in lines:
        try:
            if not command(phone, line):
                return
        except LookupError as exc:
            printer.say(HELP if exc.args == (HELP,) else f"error {exc}")
        except ValueError as exc:
            printer.say(f"error {exc}")
        except Exception as exc:  # noqa: BLE001 - pjsua2 errors: report, keep the seat up
            printer.say(f"error {type(exc).__name__}: {exc}")
    if stay:
        threading.Event().wait()
