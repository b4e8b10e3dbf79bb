"""SMS notices to citizens (受理 and 办结) over SMPP 3.4.

``text`` (alphabet, segments, concatenated parts), ``numbers`` (mainland mobile numbers only),
``templates`` (the YAML templates per language), ``notices`` (which notice a case change calls
for, and the quiet hours; pure), ``outbox`` (the outbox in the case store: nothing lost while
the SMSC is down, each message once), ``session`` (the SMPP session, sans-IO, over
``smpplib``'s PDU classes), ``sender`` (the asyncio link to the SMSC beside the case timer).
"""
