"""Vocabulary of the case core: channels, urgency, roles, statuses, reasons, and the actor."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Channel(StrEnum):
    PHONE = "phone"
    SMS = "sms"
    MAILBOX = "mailbox"
    WEB = "web"
    WECHAT = "wechat"
    WEIBO = "weibo"
    APP = "app"


class Urgency(StrEnum):
    NORMAL = "一般"
    URGENT = "紧急"
    CRITICAL = "特急"


class Role(StrEnum):
    AGENT = "agent"  # hotline agent: intake, direct answer, dispatch
    SUPERVISOR = "supervisor"  # hotline supervisor: everything in the hotline
    DEPARTMENT = "department"  # a department user: only their own department's cases
    SYSTEM = "system"  # the engine itself (timers, automatic rules)


class Status(StrEnum):
    OPEN = "open"  # 受理: taken in, waiting for a direct answer or a dispatch
    ANSWERED = "answered"  # 直办: answered on the spot, waiting for a sampled visit or closure
    DISPATCHED = "dispatched"  # 转办: sent to a lead department, waiting for its sign-for
    HANDLING = "handling"  # 签收: the lead department signed for it and is handling it
    RETURNED = "returned"  # 退单: the department returned it; the hotline re-dispatches or closes
    REPLIED = "replied"  # 办结回复: the department replied; waiting for the return visit
    CLOSED = "closed"  # 办结


class SupervisionReason(StrEnum):
    URGENT = "urgent"
    REPEATED = "repeated"
    OVERDUE = "overdue"
    DISSATISFIED = "dissatisfied"
    MANUAL = "manual"


class CloseReason(StrEnum):
    SATISFIED = "satisfied"  # the return visit found the citizen satisfied
    UNREACHABLE = "unreachable"  # the citizen could not be reached after N visit attempts
    ANSWERED = "answered"  # a direct answer not sampled for a visit
    DISSATISFIED = "dissatisfied"  # still dissatisfied after the last allowed re-handling
    NOT_ACCEPTED = "not_accepted"  # returned, and the hotline found no department for it
    WITHDRAWN = "withdrawn"  # the citizen withdrew it
    DUPLICATE = "duplicate"  # the same request is already a case
    NO_VISIT = "no_visit"  # replied; the citizen asked not to be called back


class DeadlineKind(StrEnum):
    DISPATCH = "dispatch"  # the hotline's 2 working days to answer or dispatch
    SIGN = "sign"  # the department's time to sign for it
    REPLY = "reply"  # the department's reply deadline (working days by category and urgency)
    VISIT = "visit"  # the hotline's time to visit back after a reply


class Card(StrEnum):
    YELLOW = "yellow"  # the deadline is near
    RED = "red"  # the deadline has passed


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did it: a user id, their role and, for department users, their department."""

    user: str
    role: Role
    department: str | None = None

    def __post_init__(self) -> None:
        if not self.user:
            raise ValueError("actor.user: must not be empty")
        if (self.role is Role.DEPARTMENT) != (self.department is not None):
            raise ValueError("actor.department: required for department users and only for them")


SYSTEM = Actor("system", Role.SYSTEM)
