"""Blind transfer by REFER (RFC 3515) from an agent's seat to a configured department.

An agent in a conversation sends REFER with ``Refer-To: <sip:NUMBER@...>``. Only the numbers of
the config's departments are accepted: the seat cannot make the engine dial anything else. The
engine answers 202, calls the department through its gateway, reports progress to the seat with
NOTIFY (``message/sipfrag``), and on answer bridges the caller to the department and releases
the agent to wrap-up. If the department does not answer, the agent keeps the caller.
"""

from __future__ import annotations

from callcenter.config import HotlineConfig
from callcenter.config.schema import Department
from callcenter.sip.addresses import NameAddr, SipURI
from callcenter.sip.message import SIPRequest


class TransferRefused(ValueError):
    """The REFER cannot be carried out; ``status`` and the message go back to the seat."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def refer_number(request: SIPRequest) -> str:
    """The user part of the REFER's ``Refer-To`` (``TransferRefused`` if there is none)."""
    value = request.headers.get("refer-to")
    if not value:
        raise TransferRefused(400, "Bad Request - Refer-To missing")
    try:
        user = SipURI.parse(NameAddr.parse(value).uri).user or ""
    except ValueError:
        raise TransferRefused(400, "Bad Request - unreadable Refer-To") from None
    return user


def department_for(config: HotlineConfig, number: str) -> tuple[Department, tuple[str, int]]:
    """The department dialled as ``number`` (its number or its id) and the gateway reaching it."""
    department = next((d for d in config.departments if number in (d.number, d.id)), None)
    if department is None:
        raise TransferRefused(403, "Forbidden - not a department number")
    gateway = config.department_gateway(department)
    if gateway is None:
        raise TransferRefused(503, "Service Unavailable - no transfer gateway configured")
    return department, gateway


def sipfrag(status: int, reason: str) -> bytes:
    """The NOTIFY body reporting the transfer's progress (RFC 3420 message/sipfrag)."""
    return f"SIP/2.0 {status} {reason}\r\n".encode()


def notify_headers(final: bool) -> list[tuple[str, str]]:
    """Event and Subscription-State headers of a REFER progress NOTIFY."""
    state = "terminated;reason=noresource" if final else "active;expires=60"
    return [("Event", "refer"), ("Subscription-State", state)]
