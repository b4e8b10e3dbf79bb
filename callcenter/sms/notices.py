"""Which SMS notice a change to a case calls for, its text, and when it may go. Pure: the
case, its new events and its history in; ``Notice`` values out; the sending hours given.

A case taken in (``CaseOpened``) gets the ``intake`` notice; a closed one (``Closed``) the
``closure`` notice with the lead department's last reply (or the direct answer), or
``closure_no_reply``. Only to the case's own number, and only if it is a mainland mobile
number. A notice's id is ``<case id>/<notice>``: the outbox keeps each once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from callcenter.sms.templates import Templates
from callcenter.sms.text import segmentation
from cases.case import Case
from outbound.hours import CallingHours
from outbound.numbers import mainland_mobile


@dataclass(frozen=True, slots=True)
class Notice:
    message_id: str
    case_id: str
    notice: str  # intake | closure | closure_no_reply
    number: str  # 11-digit mainland mobile
    language: str
    text: str
    segments: int
    not_before: float


@dataclass
class NoticePlanner:
    """Turns a committed case change into the notices to put in the outbox."""

    templates: Templates
    values: dict[str, str]  # line, center
    hours: CallingHours | None = None  # when an SMS may go (none at night); None: any time
    max_segments: int = 6
    default_language: str = "zh"

    def plan(self, case: Case, events: Iterable[dict[str, Any]],
             history: Callable[[], list[dict[str, Any]]], now: float) -> list[Notice]:
        kinds = {e.get("type") for e in events}
        wanted = []
        if "CaseOpened" in kinds:
            wanted.append(("intake", ""))
        if "Closed" in kinds:
            reply = last_reply(case, [*history(), *events])
            wanted.append(("closure", reply) if reply else ("closure_no_reply", ""))
        if not wanted:
            return []
        number = mainland_mobile(case.caller_number)
        if number is None:
            return []
        when = self.hours.next_open(now) if self.hours is not None else now
        notices = []
        for kind, reply in wanted:
            values = {**self.values, "case_id": case.case_id, "reply": reply}
            language = self.templates.language_for(kind, case.language, self.default_language)
            text = self.templates.render(kind, language, values, max_segments=self.max_segments,
                                         default=self.default_language)
            notices.append(Notice(f"{case.case_id}/{kind.removesuffix('_no_reply')}", case.case_id, kind,
                                  number, language, text, segmentation(text).segments, when))
        return notices


def last_reply(case: Case, events: Iterable[dict[str, Any]]) -> str:
    """The lead department's last reply, else the last direct answer, else ''."""
    reply = answer = ""
    for event in events:
        if event.get("type") == "Replied" and event.get("department") == case.lead:
            reply = str(event.get("text") or "")
        elif event.get("type") == "AnsweredDirectly":
            answer = str(event.get("answer") or "")
    return reply or answer
