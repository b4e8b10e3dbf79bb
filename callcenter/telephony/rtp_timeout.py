"""How long a party may send no RTP before it is taken as gone.

One setting for both paths: the embedded engine's ``serve --rtp-timeout`` and the
``rtp_timeout`` of the endpoints ``asterisk-config`` renders.
"""

RTP_TIMEOUT = 30.0
"""Seconds without RTP after which a caller is hung up or a talking seat is taken as gone."""
