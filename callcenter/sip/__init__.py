"""Embedded SIP stack: sans-IO message parser, SDP, transactions, dialogs, digest auth.

The protocol modules take bytes and an injected clock and return actions; only
``transport`` and ``useragent`` touch asyncio and sockets.
"""
