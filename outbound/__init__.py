"""Outbound calls: return visits of cases, re-visits after re-handling, callbacks of missed calls.

Pure, like ``cases/`` and ``acd/``: no sockets, threads or clocks; ``now`` comes in, commands
and the next deadline go out.

* ``numbers``: the one phone-number check (a mainland number to dial; a mobile for SMS).
* ``hours``: calling hours in the center's time zone.
* ``model``: kinds, modes, call outcomes, rules, commands (``Dial``, ``TaskEnded``).
* ``task``: one task's state machine (explicit transition table).
* ``dialer``: the campaign engine: tasks, attempts and spacing, do-not-call, once per period.
"""
