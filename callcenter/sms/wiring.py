"""Wiring SMS notices into the case service: the planner as a commit hook that queues notices
in the outbox within the case change's own transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from callcenter.sms.notices import NoticePlanner
from callcenter.sms.outbox import Change, Outbox, Statement, insert_statements
from callcenter.sms.templates import load_templates

if TYPE_CHECKING:
    from callcenter.casework.service import Casework
    from callcenter.config.sms_section import SmsSection
    from cases.case import Case


def attach_notices(casework: Casework, sms: SmsSection, *, line: str, timezone: str = "Asia/Shanghai",
                   default_language: str = "zh") -> Outbox:
    """Queue the intake and closure notices of every case change from now on; returns the
    outbox. ``line`` is the hotline number the texts give (and the default sender)."""
    service, store = casework.service, casework.store
    templates = load_templates(sms.templates, max_segments=sms.max_segments)
    source = sms.source or line
    planner = NoticePlanner(templates, {"line": line, "center": sms.signature or source},
                            sms.sending_hours(timezone), sms.max_segments, default_language)
    outbox = Outbox(store, concatenation=sms.concatenation, clock=service.clock)

    def queue_notices(before: Case | None, case: Case, events: list[dict[str, Any]]) -> list[Statement]:
        now = service.clock()
        notices = planner.plan(case, events, lambda: [e.data for e in store.history(case.case_id)], now)
        return [statement for notice in notices for statement in insert_statements(notice, now)]

    service.add_commit_hook(queue_notices)
    return outbox


def history_recorder(casework: Casework) -> Callable[[Change], None]:
    """``on_change`` for the sender: a message's new status as a ``Notified`` event in its
    case's history."""
    service = casework.service

    def record(change: Change) -> None:
        service.record_system(change.case_id, "Notified", {
            "notice": change.notice, "message_id": change.message_id, "status": change.status,
            "segments": change.segments, "detail": change.detail})

    return record
