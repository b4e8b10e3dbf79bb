"""One sans-IO call object per caller, shared by the embedded SIP engine and the Asterisk adapter.

Build ``Call(call_id, line, flow, CallSettings(flows, ...))``, feed it ``events.Arrived`` and
then whatever happens on the wire (``calls.events``) and the ACD's commands about the call;
carry out the ``calls.commands`` it returns; call ``on_timer(now)`` at ``next_deadline()``.
The caller leg's states and their transitions are one table in ``calls.leg``.
"""

from calls.call import Call, CallSettings, QueueView
from calls.leg import IllegalTransition, Leg, State

__all__ = ["Call", "CallSettings", "IllegalTransition", "Leg", "QueueView", "State"]
