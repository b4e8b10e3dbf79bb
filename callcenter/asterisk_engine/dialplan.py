"""The names the rendered dialplan (``asterisk-config``) and the engine share: contexts and the
channel variables through which they talk."""

LINES_CONTEXT = "callcenter-lines"
SEATS_CONTEXT = "callcenter-seats"
FALLBACK_CONTEXT = "callcenter-fallback"
ANSWERED_CONTEXT = "callcenter-answered"
TRANSFER_CONTEXT = "callcenter-transfer"
"""The desk's blind transfer: one extension per department number, dialled through the trunk."""
SURVEY_CONTEXT = "callcenter-survey"
"""A called-back caller whose seat hung up continues here (Dial's ``F()``): the survey; the
extension is the call id."""
CONFERENCE_CONTEXT = "callcenter-conference"
"""The desk's three-way call: the extension is the caller's call id, the ConfBridge's name."""
BRIDGE_PROFILE = "callcenter_bridge"
USER_PROFILE = "callcenter_user"
"""The ``confbridge.conf`` profiles of the three-way call (the user's is quiet: no sounds)."""

RESULT_VARIABLE = "CALLCENTER_RESULT"
"""Set by the engine: ``error`` (the dialplan falls back), ``transferred``, ``ok``/``refused``."""
LINE_VARIABLE = "CALLCENTER_LINE"
"""Set by the dialplan to the line dialled, before the engine runs (kept into the fallback)."""
SERVED_VARIABLE = "CALLCENTER_AGENT"
"""Set by the engine, as ``SHARED(CALLCENTER_AGENT,<caller's channel>)``, to the agent whose
answer it accepted: the dialplan then ends the call instead of queueing it in the fallback."""
QUEUE_VARIABLE = "CALLCENTER_QUEUE"
QUEUED_AT_VARIABLE = "CALLCENTER_QUEUED_AT"
"""Set on a caller's channel when the engine queues it: what a restarted engine adopts it by."""
