"""The hotline's time limits and automatic rules, as configuration (validated by pydantic).

Reply deadlines are working days by category and urgency: the first matching ``reply`` rule
wins; a rule matches on ``urgency`` and on ``category`` as a code prefix or a kind name."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, field_validator, model_validator

from cases.model import Urgency
from cases.taxonomy import Category, Kind
from ivr_flows.strict_model import STRICT

Hours = Annotated[float, Field(gt=0, le=24 * 60)]


class ReplyRule(BaseModel):
    model_config = STRICT

    category: str | None = None  # a code prefix ("0301") or a kind ("complaint"); None: any
    urgency: Urgency | None = None  # None: any
    working_days: Annotated[int, Field(ge=0, le=60)]

    @field_validator("category")
    @classmethod
    def _known_form(cls, value: str | None) -> str | None:
        if value is not None and not value.isdigit() and value not in Kind.__members__.values():
            raise ValueError(f"expected a category code prefix (digits) or one of "
                             f"{', '.join(k.value for k in Kind)}, not {value!r}")
        return value

    def matches(self, category: Category, urgency: Urgency) -> bool:
        if self.urgency is not None and self.urgency is not urgency:
            return False
        if self.category is None:
            return True
        if self.category in Kind.__members__.values():
            return category.kind.value == self.category
        return category.code.startswith(self.category)


DEFAULT_REPLY_RULES = (
    ReplyRule(urgency=Urgency.CRITICAL, working_days=0),  # 特急: the same (working) day
    ReplyRule(urgency=Urgency.URGENT, working_days=1),
    ReplyRule(category="consultation", working_days=3),
    ReplyRule(category="help", working_days=3),
    ReplyRule(category="complaint", working_days=5),
    ReplyRule(category="report", working_days=5),
    ReplyRule(category="suggestion", working_days=10),
    ReplyRule(category="praise", working_days=5),
    ReplyRule(working_days=5),
)


class Rules(BaseModel):
    """Every time limit and threshold of the case process."""

    model_config = STRICT

    dispatch_working_days: Annotated[int, Field(ge=0, le=10)] = 2  # 转办 within 2 working days
    sign_hours: Hours = 24.0  # a department signs for a case within this many hours (of working days)
    reply: tuple[ReplyRule, ...] = DEFAULT_REPLY_RULES
    visit_working_days: Annotated[int, Field(ge=0, le=30)] = 3  # visit back within, after a reply
    yellow_hours: Hours = 24.0  # yellow card this long (hours of working days) before a deadline
    visit_attempts: Annotated[int, Field(ge=1, le=10)] = 3  # unreachable after this many tries
    visit_retry_hours: Hours = 4.0
    max_rehandles: Annotated[int, Field(ge=0, le=10)] = 2  # then closed as dissatisfied
    direct_visit_rate: Annotated[float, Field(ge=0, le=1)] = 0.1  # sampled direct answers visited
    max_extension_days: Annotated[int, Field(ge=1, le=60)] = 10
    repeat_count: Annotated[int, Field(ge=2, le=1000)] = 3  # N requests ...
    repeat_days: Annotated[int, Field(ge=1, le=365)] = 30  # ... within D days: supervised
    supervise_urgencies: tuple[Urgency, ...] = (Urgency.URGENT, Urgency.CRITICAL)

    @model_validator(mode="after")
    def _catch_all(self) -> Rules:
        if not any(r.category is None and r.urgency is None for r in self.reply):
            raise ValueError("reply: the last rule must match every case (no category, no urgency)")
        return self

    def reply_working_days(self, category: Category, urgency: Urgency) -> int:
        for rule in self.reply:
            if rule.matches(category, urgency):
                return rule.working_days
        raise AssertionError("unreachable: the catch-all rule matches")  # pragma: no cover
