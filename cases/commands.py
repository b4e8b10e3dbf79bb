"""Commands out of the case core: what the adapters should do (imperative). Frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass

from cases.model import Card, DeadlineKind, SupervisionReason


@dataclass(frozen=True, slots=True)
class PromptEmergencyRedirect:
    """Tell the agent (or the citizen) to redirect the request to ``number`` (110/119/120/122)."""

    case_id: str
    number: str


@dataclass(frozen=True, slots=True)
class NotifyDepartment:
    """Tell ``department`` it has work on the case: ``kind`` is dispatched, rehandle, extension-
    approved or extension-refused; ``due`` the deadline it now works to."""

    case_id: str
    department: str
    kind: str
    due: float | None = None


@dataclass(frozen=True, slots=True)
class NotifyHotline:
    """The hotline must act: ``kind`` is returned (re-dispatch or close), extension-requested
    (decide), or rehandle (a direct answer the citizen was dissatisfied with)."""

    case_id: str
    kind: str
    due: float | None = None


@dataclass(frozen=True, slots=True)
class ScheduleReturnVisit:
    """Visit the citizen back (agent task or IVR survey call), not before ``not_before``."""

    case_id: str
    attempt: int
    not_before: float
    due: float | None = None


@dataclass(frozen=True, slots=True)
class RaiseSupervision:
    """Put the case on the supervisors' board (督办) for ``reason``."""

    case_id: str
    reason: SupervisionReason
    departments: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SendReminder:
    """催办: remind ``department`` of its ``deadline`` due at ``due``."""

    case_id: str
    department: str
    deadline: DeadlineKind
    due: float


@dataclass(frozen=True, slots=True)
class ShowCard:
    """Show a yellow/red card on the supervisors' board for one deadline of the case."""

    case_id: str
    card: Card
    deadline: DeadlineKind
    due: float
    department: str | None = None


@dataclass(frozen=True, slots=True)
class Alert:
    """A cluster: ``count`` requests on one place or subject (``key``) within ``window`` seconds
    (专题: the supervisor's real-time warning)."""

    kind: str  # "place" or "subject"
    key: str
    count: int
    window: float
    case_ids: tuple[str, ...]


Command = (
    PromptEmergencyRedirect | NotifyDepartment | NotifyHotline | ScheduleReturnVisit | RaiseSupervision
    | SendReminder | ShowCard | Alert
)
