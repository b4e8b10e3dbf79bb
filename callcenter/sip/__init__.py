"""Embedded SIP stack: sans-IO protocol core with thin asyncio adapters.

Protocol modules never touch sockets or clocks; they take bytes and ``now`` and return
actions, so they can be driven by a hand-advanced clock in tests:

- ``message``: ``parse_message(bytes)``, ``bytes(msg)``, ``StreamFramer`` (TCP),
  ``make_response(request, code, to_tag=...)``, ``SIPParseError.bad_request()``; it
  re-exports its parts from ``headers``, ``addresses`` (URI, name-addr, Via, CSeq),
  ``framing`` and ``errors``.
- ``sdp``: ``parse_sdp``, ``build_offer``, ``answer_offer`` (PCMU/PCMA + telephone-event,
  ``NoCommonCodec`` -> 488), ``parse_answer``.
- ``transactions``: ``TransactionLayer.receive/send_request/respond/on_timer/next_deadline``
  producing ``Send``/``Deliver``/``Timeout``/``Terminated`` actions.
- ``dialog``: ``Dialog.from_uas/from_uac``, ``create_request``, ``create_ack``.
- ``digest``: ``DigestServer`` (challenge/verify) and ``build_authorization`` (client).
- ``ratelimit``: ``TokenBucket``, ``SourceRateLimiter``.

Adapters: ``transport.SipEndpoint`` (asyncio UDP/TCP) and ``useragent.UserAgent``.
"""
