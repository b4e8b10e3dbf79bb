"""One test SMS straight to the SMSC (``callcenter sms test``): connect, bind, submit, and wait
for the response and the delivery report, saying what happened at each step. No outbox."""

from __future__ import annotations

import asyncio
import time

from callcenter.config.sms_section import SmsSection
from callcenter.sms.numbers import smpp_address, smpp_source
from callcenter.sms.session import Accepted, BindRefused, Bound, LinkClosed, Receipt, Refused, Session
from callcenter.sms.text import split


class ProbeFailed(Exception):
    """The SMSC could not be reached, refused the bind or the message."""


async def send_test(sms: SmsSection, password: str, number: str, text: str, *, source: str,
                    wait: float = 30.0) -> list[str]:
    """Send ``text`` to the 11-digit mobile ``number``; the steps as lines. Raises
    ``ProbeFailed`` with the step that failed."""
    lines: list[str] = []
    host, port = sms.address()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port),
                                                sms.response_timeout_seconds)
    except (OSError, TimeoutError) as exc:
        raise ProbeFailed(f"cannot reach the SMSC {sms.smsc}: {exc or type(exc).__name__}") from None
    session = Session(sms.system_id, password, mode=sms.bind, system_type=sms.system_type,
                      enquire_link=sms.enquire_link_seconds, response_timeout=sms.response_timeout_seconds)
    parts = split(text, f"test-{time.time():.0f}", sms.concatenation)
    accepted: dict[str, int] = {}
    reported: set[str] = set()
    want_receipts = sms.delivery_reports and sms.bind == "transceiver"
    try:
        session.bind(time.time())
        async with asyncio.timeout(wait):
            while True:
                writer.write(session.outgoing())
                await writer.drain()
                data = await reader.read(4096)
                if not data:
                    raise ProbeFailed("the SMSC closed the connection")
                for event in session.receive(data, time.time()):
                    if isinstance(event, Bound):
                        lines.append(f"bound to {sms.smsc} as {sms.system_id} ({sms.bind})")
                        for part in parts:
                            session.submit(part, part.seq, time.time(), source=smpp_source(source),
                                           destination=smpp_address(number, sms.destination),
                                           receipt=want_receipts)
                        lines.append(f"submitted {len(parts)} part(s) to {number}")
                    elif isinstance(event, BindRefused):
                        raise ProbeFailed(f"the SMSC refused the bind as {sms.system_id}: {event.reason}")
                    elif isinstance(event, Accepted):
                        accepted[event.smsc_id] = event.tag
                        lines.append(f"part {event.tag}: accepted as {event.smsc_id}")
                    elif isinstance(event, Refused):
                        raise ProbeFailed(f"part {event.tag}: refused: {event.reason}")
                    elif isinstance(event, Receipt):
                        session.ack(event.seq)
                        if event.smsc_id in accepted and event.delivered is not None:
                            reported.add(event.smsc_id)
                            lines.append(f"part {accepted[event.smsc_id]}: {event.state}")
                    elif isinstance(event, LinkClosed):
                        raise ProbeFailed(f"link closed: {event.reason}")
                if len(accepted) == len(parts) and (not want_receipts or reported >= set(accepted)):
                    return lines
    except TimeoutError:
        if len(accepted) == len(parts):
            lines.append(f"no delivery report within {wait:g} s")
            return lines
        raise ProbeFailed(f"no answer from the SMSC within {wait:g} s") from None
    finally:
        session.unbind(time.time())
        writer.write(session.outgoing())
        writer.close()
