"""Case routes (工单): intake, handling, supervision, visits, queries, history, screen pop.

Each action is one event of the core, recorded for the logged-in user: the core checks the
transition and the role, the service checks ownership (a department user sees and acts on
only their department's cases: any other case is 404, as if it did not exist). A refused
action changes nothing and says which field is wrong.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from callcenter.casework.accounts import User
from callcenter.casework.service import Casework, Outcome
from callcenter.casework.store import CaseQuery, CaseRow
from cases.model import Channel, CloseReason, Urgency

Short = Annotated[str, Field(max_length=500)]
Long = Annotated[str, Field(max_length=10_000)]
Dept = Annotated[str, Field(min_length=1, max_length=64)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IntakeIn(_Body):
    channel: Channel = Channel.PHONE
    category: Annotated[str, Field(min_length=1, max_length=12)]
    text: Annotated[str, Field(min_length=1, max_length=10_000)]
    urgency: Urgency = Urgency.NORMAL
    caller_number: Annotated[str, Field(max_length=32)] = ""
    caller_name: Short = ""
    call_id: Annotated[str, Field(max_length=128)] | None = None
    language: Annotated[str, Field(max_length=16)] = "zh"
    address: Short = ""
    district: Short = ""
    emergency: Literal["110", "119", "120", "122"] | None = None


class AnswerIn(_Body):
    answer: Annotated[str, Field(min_length=1, max_length=10_000)]
    article_id: Annotated[str, Field(max_length=64)] | None = None


class DispatchIn(_Body):
    lead: Dept
    assisting: Annotated[list[Dept], Field(max_length=10)] = []
    note: Short = ""


class DepartmentIn(_Body):
    department: Dept | None = None  # a department user's own by default; supervisors name it


class ReplyIn(DepartmentIn):
    text: Annotated[str, Field(min_length=1, max_length=10_000)]


class ReturnIn(DepartmentIn):
    reason: Annotated[str, Field(min_length=1, max_length=10_000)]


class ExtensionIn(DepartmentIn):
    days: Annotated[int, Field(ge=1, le=60)]
    reason: Annotated[str, Field(min_length=1, max_length=10_000)]


class DecisionIn(_Body):
    approved: bool
    days: Annotated[int, Field(ge=1, le=60)] | None = None
    note: Long = ""


class VisitIn(_Body):
    reached: bool
    solved: bool | None = None
    satisfied: bool | None = None
    note: Long = ""


class NoteIn(_Body):
    note: Long = ""


class RemindIn(DepartmentIn):
    note: Long = ""


class RemarkIn(_Body):
    text: Annotated[str, Field(min_length=1, max_length=10_000)]


class CloseIn(_Body):
    reason: Literal["withdrawn", "duplicate", "not_accepted"]
    note: Long = ""


def _case_out(casework: Casework, case_id: str, outcome: Outcome | None = None) -> dict[str, Any]:
    row = casework.store.get(case_id)
    assert row is not None
    out: dict[str, Any] = {**row.summary(), "departments": casework.store.departments(case_id),
                           "case": row.state_dict(), "articles": casework.kb.linked(case_id)}
    if outcome is not None:
        out["events"] = [e["type"] for e in outcome.events]
        out["commands"] = [{"type": type(c).__name__, **_plain(c)} for c in outcome.commands]
    return out


def _plain(command: object) -> dict[str, Any]:
    return {name: getattr(command, name) for name in getattr(command, "__slots__", ())}


def _summaries(rows: list[CaseRow]) -> list[dict[str, Any]]:
    return [row.summary() for row in rows]


def cases_router(casework: Casework, current_user: Callable[[Request], User]) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["cases"])
    service = casework.service
    hotline_only = {"agent", "supervisor"}

    def act(user: User, case_id: str, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
        outcome = service.act(user, case_id, kind, fields)
        return _case_out(casework, case_id, outcome)

    def own(user: User, body: DepartmentIn, case_id: str) -> dict[str, Any]:
        """The department field: a department user's own, else as given, else the lead."""
        fields = body.model_dump(exclude_none=True)
        if "department" not in fields:
            fields["department"] = user.department or service.case(user, case_id).lead or ""
        return fields

    def hotline(user: User) -> None:
        if user.role not in hotline_only:
            raise HTTPException(403, "role: needs a hotline agent or supervisor")

    @router.post("/cases", status_code=201, summary="受理: take in a request (agents, supervisors)")
    def intake(body: IntakeIn, user: User = Depends(current_user)) -> dict[str, Any]:
        hotline(user)
        outcome = service.open(user, body.model_dump(mode="json"))
        return _case_out(casework, outcome.case.case_id, outcome)

    @router.post("/cases/{case_id}/answer", summary="直办: answered on the spot")
    def answer(case_id: str, body: AnswerIn, user: User = Depends(current_user)) -> dict[str, Any]:
        outcome = casework.answer(user, case_id, body.answer, body.article_id)
        return _case_out(casework, case_id, outcome)

    @router.post("/cases/{case_id}/dispatch", summary="转办: send to a lead (and assisting) department")
    def dispatch(case_id: str, body: DispatchIn, user: User = Depends(current_user)) -> dict[str, Any]:
        return act(user, case_id, "Dispatched", body.model_dump())

    @router.post("/cases/{case_id}/sign", summary="签收: a department signs for the case")
    def sign(case_id: str, body: DepartmentIn, user: User = Depends(current_user)) -> dict[str, Any]:
        return act(user, case_id, "SignedFor", own(user, body, case_id))

    @router.post("/cases/{case_id}/reply", summary="办结回复: the department's reply")
    def reply(case_id: str, body: ReplyIn, user: User = Depends(current_user)) -> dict[str, Any]:
        return act(user, case_id, "Replied", own(user, body, case_id))

    @router.post("/cases/{case_id}/return", summary="退单: not ours, with a reason")
    def give_back(case_id: str, body: ReturnIn, user: User = Depends(current_user)) -> dict[str, Any]:
        return act(user, case_id, "Returned", own(user, body, case_id))

    @router.post("/cases/{case_id}/extension", summary="延期申请: ask for more working days")
    def extension(case_id: str, body: ExtensionIn, user: User = Depends(current_user)) -> dict[str, Any]:
        return act(user, case_id, "ExtensionRequested", own(user, body, case_id))

    @router.post("/cases/{case_id}/extension/decision", summary="Approve or refuse the pending extension")
    def decision(case_id: str, body: DecisionIn, user: User = Depends(current_user)) -> dict[str, Any]:
        return act(user, case_id, "ExtensionDecided", body.model_dump())

    @router.post("/cases/{case_id}/visit", summary="回访: the return visit's result")
    def visit(case_id: str, body: VisitIn, user: User = Depends(current_user)) -> dict[str, Any]:
        return act(user, case_id, "VisitResult", body.model_dump())

    @router.post("/cases/{case_id}/supervise", summary="督办: supervise by hand (supervisors)")
    def supervise(case_id: str, body: NoteIn, user: User = Depends(current_user)) -> dict[str, Any]:
        return act(user, case_id, "Supervised", {"reason": "manual", **body.model_dump()})

    @router.post("/cases/{case_id}/remind", summary="催办: remind the department")
    def remind(case_id: str, body: RemindIn, user: User = Depends(current_user)) -> dict[str, Any]:
        return act(user, case_id, "Reminded", own(user, body, case_id))

    @router.post("/cases/{case_id}/remark", summary="A free remark (any role that sees the case)")
    def remark(case_id: str, body: RemarkIn, user: User = Depends(current_user)) -> dict[str, Any]:
        return act(user, case_id, "Remarked", body.model_dump())

    @router.post("/cases/{case_id}/close", summary="Close: withdrawn, duplicate or not accepted")
    def close(case_id: str, body: CloseIn, user: User = Depends(current_user)) -> dict[str, Any]:
        return act(user, case_id, "Closed", {"reason": CloseReason(body.reason).value, "note": body.note})

    @router.get("/cases/{case_id}", summary="The case now: state, departments, deadlines, articles")
    def get_case(case_id: str, user: User = Depends(current_user)) -> dict[str, Any]:
        service.case(user, case_id)
        return _case_out(casework, case_id)

    @router.get("/cases/{case_id}/history", summary="Every step (留痕): who, when, what")
    def history(case_id: str, user: User = Depends(current_user)) -> list[dict[str, Any]]:
        return service.history(user, case_id)

    @router.get("/cases", summary="Find cases (newest first); department users see their own only")
    def find(status: str | None = None, category: str | None = None, urgency: Urgency | None = None,
             district: str | None = None, department: str | None = None,
             caller: Annotated[str | None, Query(max_length=32)] = None,
             card: Literal["yellow", "red"] | None = None, supervised: bool | None = None,
             created_from: float | None = None, created_to: float | None = None,
             due_before: float | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 100,
             offset: Annotated[int, Query(ge=0)] = 0,
             user: User = Depends(current_user)) -> list[dict[str, Any]]:
        query = CaseQuery(status=status, category=category, urgency=urgency.value if urgency else None,
                          district=district, department=department, caller=caller, card=card,
                          supervised=supervised, created_from=created_from, created_to=created_to,
                          due_before=due_before, limit=limit, offset=offset)
        return _summaries(service.find(user, query))

    @router.get("/callers/{number}/cases", summary="Screen pop: the caller's earlier cases")
    def caller_cases(number: Annotated[str, Path(max_length=32)],
                     limit: Annotated[int, Query(ge=1, le=100)] = 20,
                     user: User = Depends(current_user)) -> list[dict[str, Any]]:
        return _summaries(service.find(user, CaseQuery(caller=number, limit=limit)))

    @router.get("/calls/{call_id}/cases", summary="The cases taken in on a call (and its record)")
    def call_cases(call_id: str, user: User = Depends(current_user)) -> dict[str, Any]:
        record = casework.store.records.call(call_id) if user.hotline else None
        return {"call_id": call_id, "record": asdict(record) if record is not None else None,
                "cases": _summaries(service.by_call(user, call_id))}

    def period(start: dt.date, end: dt.date | None) -> tuple[float, float]:
        return service.period(start, end or start)

    @router.get("/case-figures/evaluation", summary="评价与考核: departments' figures (supervisors)")
    def evaluation(start: dt.date, end: dt.date | None = None,
                   user: User = Depends(current_user)) -> dict[str, Any]:
        if user.role != "supervisor":
            raise HTTPException(403, "role: needs a supervisor")
        return service.evaluation(*period(start, end)).to_dict()

    @router.get("/case-figures/report", summary="The routine report of a period (hotline users)")
    def report(start: dt.date, end: dt.date | None = None,
               user: User = Depends(current_user)) -> dict[str, Any]:
        hotline(user)
        return service.report(*period(start, end)).to_dict()

    @router.get("/case-figures/special", summary="专题: where requests concentrated (hotline users)")
    def special(start: dt.date, end: dt.date | None = None,
                minimum: Annotated[int, Query(ge=2, le=100_000)] = 10,
                user: User = Depends(current_user)) -> list[dict[str, Any]]:
        hotline(user)
        return [asdict(spot) for spot in service.special(*period(start, end), minimum)]

    @router.get("/case-alerts", summary="Cluster alerts (专题) on the supervisors' board")
    def alerts(user: User = Depends(current_user)) -> list[dict[str, Any]]:
        hotline(user)
        return list(casework.alerts)

    return router
