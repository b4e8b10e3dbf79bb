"""AGI command formatting (pure).

Command names and argument order follow pyst2's ``asterisk.agi.AGI`` methods (``answer``,
``stream_file``, ``get_data``, ``wait_for_digit``, ``set_variable``, ``appexec``, ...), which in
turn follow res_agi's command table. What we take from pyst2 and what we do not:

* Taken: the vocabulary, the argument order, and its quoting of free-text slots (escape digits,
  variable values, VERBOSE messages, GET FULL VARIABLE expressions are always double-quoted).
* Not taken: its ``_quote`` does not escape ``"`` or ``\\`` and lets newlines through, which would
  split or inject commands; here every argument is checked and escaped the way res_agi's
  ``parse_args`` reads it back (:func:`split_command` is a port of that parser).
* pyst2's ``AGI`` class cannot be the asyncio server: it reads the environment in ``__init__``
  from a blocking ``stdin``, installs a process-wide SIGHUP handler, writes debug text to
  ``stderr``, blocks on ``readline`` per command, treats every ``result=-1`` as an error (a
  missing prompt and a hangup look alike), and has no notion of the unsolicited ``HANGUP`` line.

Quoting matches the recorded transcripts: simple tokens go bare (``STREAM FILE hello-world ""``),
anything empty or containing blanks, quotes or backslashes is quoted and escaped.
"""

from __future__ import annotations

import re

Arg = str | int | float

DTMF_DIGITS = frozenset("0123456789*#ABCD")
_NEEDS_QUOTES = re.compile(r'[\s"\\]')
_FORBIDDEN = re.compile(r"[\r\n\x00]")


def quote(value: Arg, *, force: bool = False) -> str:
    """Render one argument; quote it if needed (or if ``force``), escaping ``"`` and ``\\``."""
    text = str(value)
    if _FORBIDDEN.search(text):
        raise ValueError(f"AGI argument must not contain CR, LF or NUL: {text!r}")
    if force or not text or _NEEDS_QUOTES.search(text):
        escaped = text.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    return text


def build(name: str, *args: str) -> str:
    """Join a command name and already-rendered arguments into one command line (no LF)."""
    if not re.fullmatch(r"[A-Z]+( [A-Z]+)*", name):
        raise ValueError(f"not an AGI command name: {name!r}")
    return " ".join((name, *args))


def split_command(line: str) -> list[str]:
    """Split a command line into words exactly as res_agi's ``parse_args`` does."""
    words: list[str] = []
    current: list[str] | None = None
    quoted = escaped = False
    for char in line:
        if char == '"' and not escaped:
            quoted = not quoted
            if quoted and current is None:
                current = []
                words.append("")
            continue
        if char in " \t" and not quoted and not escaped:
            if current is not None:
                words[-1] = "".join(current)
                current = None
            continue
        if char == "\\" and not escaped:
            escaped = True
            continue
        if current is None:
            current = []
            words.append("")
        current.append(char)
        escaped = False
    if current is not None:
        words[-1] = "".join(current)
    return words


def _escape_digits(digits: str) -> str:
    bad = set(digits) - DTMF_DIGITS
    if bad:
        raise ValueError(f"escape digits must be DTMF digits, got {sorted(bad)}")
    return quote(digits, force=True)


def answer() -> str:
    return "ANSWER"


def hangup(channel: str | None = None) -> str:
    return build("HANGUP", *([quote(channel)] if channel else []))


def noop(text: str | None = None) -> str:
    return build("NOOP", *([quote(text)] if text else []))


def stream_file(name: str, escape_digits: str = "", offset: int | None = None) -> str:
    args = [quote(name), _escape_digits(escape_digits)]
    if offset is not None:
        args.append(str(int(offset)))
    return build("STREAM FILE", *args)


def get_data(name: str, timeout_ms: int | None = None, max_digits: int | None = None) -> str:
    args = [quote(name)]
    if timeout_ms is not None:
        args.append(str(int(timeout_ms)))
    elif max_digits is not None:
        args.append("0")
    if max_digits is not None:
        args.append(str(int(max_digits)))
    return build("GET DATA", *args)


def wait_for_digit(timeout_ms: int = -1) -> str:
    return build("WAIT FOR DIGIT", str(int(timeout_ms)))


def say_digits(digits: str, escape_digits: str = "") -> str:
    return build("SAY DIGITS", quote(digits), _escape_digits(escape_digits))


def set_variable(name: str, value: Arg) -> str:
    return build("SET VARIABLE", quote(name), quote(value, force=True))


def get_variable(name: str) -> str:
    return build("GET VARIABLE", quote(name))


def get_full_variable(expression: str, channel: str | None = None) -> str:
    args = [quote(expression, force=True)]
    if channel:
        args.append(quote(channel))
    return build("GET FULL VARIABLE", *args)


def exec_app(application: str, options: str = "") -> str:
    """EXEC: res_agi passes one options word to the app, so options with blanks get quoted."""
    return build("EXEC", quote(application), *([quote(options)] if options else []))


def verbose(message: str, level: int = 1) -> str:
    return build("VERBOSE", quote(message, force=True), str(int(level)))


def channel_status(channel: str | None = None) -> str:
    return build("CHANNEL STATUS", *([quote(channel)] if channel else []))


def set_autohangup(seconds: int) -> str:
    return build("SET AUTOHANGUP", str(int(seconds)))


def database_get(family: str, key: str) -> str:
    return build("DATABASE GET", quote(family), quote(key))


def database_put(family: str, key: str, value: Arg) -> str:
    return build("DATABASE PUT", quote(family), quote(key), quote(value))


def database_del(family: str, key: str) -> str:
    return build("DATABASE DEL", quote(family), quote(key))


COMMANDS = {
    "ANSWER": answer,
    "HANGUP": hangup,
    "NOOP": noop,
    "STREAM FILE": stream_file,
    "GET DATA": get_data,
    "WAIT FOR DIGIT": wait_for_digit,
    "SAY DIGITS": say_digits,
    "SET VARIABLE": set_variable,
    "GET VARIABLE": get_variable,
    "GET FULL VARIABLE": get_full_variable,
    "EXEC": exec_app,
    "VERBOSE": verbose,
    "CHANNEL STATUS": channel_status,
    "SET AUTOHANGUP": set_autohangup,
    "DATABASE GET": database_get,
    "DATABASE PUT": database_put,
    "DATABASE DEL": database_del,
}
"""Command name -> formatter, for tools that rebuild commands from words."""
