"""SMS notices to citizens (受理 and 办结) over SMPP 3.4.

``text`` (alphabet, segments, concatenated parts), ``numbers`` (mainland mobile numbers only),
``templates`` (the YAML templates per language), ``notices`` (which notice a case change calls
for; pure), ``outbox`` (the outbox in the case store: nothing lost while the SMSC is down, each
message once), ``session`` (the SMPP session, sans-IO), ``sender`` (the asyncio link to the
SMSC beside the case timer), ``probe`` (one test SMS), ``wiring`` (into the case service).

The PDUs are ``smpplib``'s (maintained, pure Python, runs on 3.11): its command classes build
and parse every PDU and its GSM 03.38 table encodes the text. Its blocking ``Client`` is not
used: it reads whatever ``command_length`` the SMSC announces, has no timers of its own and
would need a thread per link; its ``make_parts`` cuts the encoded bytes (a GSM escape or a
surrogate pair can straddle two parts) with a random reference (a resent part would not join
its message). Framing, state, timers and the split are therefore here.
"""
