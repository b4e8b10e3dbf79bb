"""The taxonomy file (validated with file/line/field errors), rules, and the event codec."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from callcenter.casework.taxonomy_file import SourceError, load_taxonomy, loads_taxonomy
from cases import events as ev
from cases.codec import EventFormatError, event_from_dict, event_to_dict
from cases.model import (
    SYSTEM,
    Actor,
    Card,
    Channel,
    CloseReason,
    DeadlineKind,
    Role,
    SupervisionReason,
    Urgency,
)
from cases.rules import Rules
from cases.taxonomy import Kind
from tests.cases.helpers import AGENT, ROADS, TAXONOMY


def test_the_shipped_taxonomy_covers_the_six_kinds_with_subcategories() -> None:
    tops = [c for c in TAXONOMY.categories.values() if c.parent is None]
    assert [c.name for c in tops] == ["咨询", "求助", "投诉", "举报", "建议", "表扬"]
    assert {c.kind for c in tops} == set(Kind)
    assert TAXONOMY.path("030101") == "投诉/城市管理/道路施工"
    assert TAXONOMY.get("030101").kind is Kind.COMPLAINT and TAXONOMY.get("030101").top == "03"
    assert all(c.parent is None or c.code.startswith(c.parent) for c in TAXONOMY.categories.values())
    assert TAXONOMY.emergency_hint("家里煤气泄漏了") == "119"
    assert TAXONOMY.emergency_hint("路口发生车祸") == "122"
    assert TAXONOMY.emergency_hint("咨询公积金提取") is None


def test_a_bad_taxonomy_file_lists_every_problem_with_its_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "taxonomy.yaml"
    path.write_text(
        "categories:\n"
        "  - {code: \"01\", name: 咨询, kind: consultation}\n"
        "  - code: \"02\"\n"
        "    name: 求助\n"
        "    kind: help\n"
        "    children:\n"
        "      - {code: \"0301\", name: 错位}\n"
        "      - {code: \"0201\", name: \"\"}\n"
        "  - {code: \"01\", name: 重复, kind: help}\n"
        "  - {code: \"04\", name: 举报}\n"
        "emergency:\n"
        "  - {number: \"999\", words: [火]}\n"
        "colour: red\n",
        encoding="utf-8",
    )
    with pytest.raises(SourceError) as caught:
        load_taxonomy(path)
    lines = str(caught.value).splitlines()
    assert lines == [
        f"{path}:13: colour: unknown field",
        f"{path}:7: categories[1].children[0].code: '0301' must extend its parent's code '02'",
        f"{path}:8: categories[1].children[1].name: expected a non-empty name",
        f"{path}:9: categories[2].code: duplicate code '01'",
        f"{path}:10: categories[3]: a top-level category needs a kind",
        f"{path}:12: emergency[0].number: expected one of 110, 119, 120, 122 (quoted)",
    ]
    with pytest.raises(SourceError, match="t.yaml:1: categories: expected a non-empty list"):
        loads_taxonomy("categories: []\n", "t.yaml")


def test_reply_rules_are_configurable_and_checked() -> None:
    rules = Rules.model_validate({"reply": [{"category": "0301", "working_days": 7},
                                            {"urgency": "特急", "working_days": 0}, {"working_days": 4}]})
    assert rules.reply_working_days(TAXONOMY.get("030101"), Urgency.CRITICAL) == 7  # first match wins
    assert rules.reply_working_days(TAXONOMY.get("0101"), Urgency.CRITICAL) == 0
    assert rules.reply_working_days(TAXONOMY.get("0101"), Urgency.NORMAL) == 4
    defaults = Rules()
    assert defaults.reply_working_days(TAXONOMY.get("0101"), Urgency.NORMAL) == 3
    assert defaults.reply_working_days(TAXONOMY.get("030101"), Urgency.NORMAL) == 5
    assert defaults.reply_working_days(TAXONOMY.get("030101"), Urgency.CRITICAL) == 0
    with pytest.raises(ValidationError, match="the last rule must match every case"):
        Rules.model_validate({"reply": [{"category": "03", "working_days": 5}]})
    with pytest.raises(ValidationError, match="or one of consultation, help.*not 'complain'"):
        Rules.model_validate({"reply": [{"category": "complain", "working_days": 5}, {"working_days": 5}]})
    with pytest.raises(ValidationError, match="sign_hours"):
        Rules.model_validate({"sign_hours": 0})


EXAMPLES: list[ev.Event] = [
    ev.CaseOpened("c-1", 1.5, AGENT, Channel.WECHAT, "030101", "噪音\n扰民", Urgency.CRITICAL, "138", "张三",
                  "call-9", "yue", "经十路", "历下区", "119"),
    ev.AnsweredDirectly("c-1", 2.0, AGENT, "答复", "kb-1"),
    ev.Dispatched("c-1", 2.0, AGENT, "roads", ("housing", "market"), "note"),
    ev.SignedFor("c-1", 3.0, ROADS, "roads"),
    ev.Returned("c-1", 3.0, ROADS, "roads", "不属于"),
    ev.ExtensionRequested("c-1", 3.0, ROADS, "roads", 3, "协调"),
    ev.ExtensionDecided("c-1", 3.0, Actor("s", Role.SUPERVISOR), True, 2, "ok"),
    ev.Replied("c-1", 3.0, ROADS, "roads", "已办"),
    ev.VisitResult("c-1", 3.0, AGENT, True, False, None, "n"),
    ev.RehandleOrdered("c-1", 3.0, SYSTEM, "n"),
    ev.Supervised("c-1", 3.0, SYSTEM, SupervisionReason.REPEATED, "3", ("c-0", "c-00")),
    ev.Reminded("c-1", 3.0, SYSTEM, "roads"),
    ev.CardRaised("c-1", 3.0, SYSTEM, DeadlineKind.SIGN, Card.YELLOW, 9.0),
    ev.DeadlineSet("c-1", 3.0, SYSTEM, DeadlineKind.REPLY, 9.0, "rule", "roads"),
    ev.Remarked("c-1", 3.0, AGENT, "备注"),
    ev.Notified("c-1", 3.0, SYSTEM, "closure", "c-1/closure", "delivered", 2, "smsc id 7,8"),
    ev.Closed("c-1", 3.0, SYSTEM, CloseReason.UNREACHABLE, "3 attempts"),
]


def test_every_event_type_round_trips_through_json() -> None:
    assert {type(e) for e in EXAMPLES} == set(ev.EVENT_TYPES.values())
    for event in EXAMPLES:
        data = json.loads(json.dumps(event_to_dict(event), ensure_ascii=False))
        assert data["type"] == type(event).__name__
        assert event_from_dict(data) == event


@pytest.mark.parametrize(("change", "message"), [
    ({"type": "Deleted"}, "type: unknown event type 'Deleted'"),
    ({"lead": 5}, "Dispatched.lead: Input should be a valid string"),
    ({"assisting": "housing"}, "Dispatched.assisting: Input should be a valid"),
    ({"colour": 1}, "Dispatched.colour: unknown field"),
    ({"actor": {"user": "u", "role": "root"}}, "Dispatched.actor.role: Input should be"),
    ({"actor": {"user": "u", "role": "department"}}, "Dispatched.actor: actor.department: required"),
    ({"actor": {"user": "u", "role": "agent", "token": "x"}}, "Dispatched.actor.token: unknown field"),
    ({"at": float("inf")}, "Dispatched.at: expected a finite time"),
    ({"case_id": "../etc"}, "Dispatched.case_id: expected 1-64 letters"),
    ({"note": "x" * 10_001}, "Dispatched.note: longer than 10000 characters"),
    ({"lead": "x" * 501}, "Dispatched.lead: longer than 500 characters"),
])
def test_bad_event_dicts_are_refused_naming_the_field(change: dict[str, object], message: str) -> None:
    data = {**event_to_dict(EXAMPLES[2]), **change}
    with pytest.raises(EventFormatError, match=message.replace("(", r"\(").replace(".", r"\.")):
        event_from_dict(data)


def test_missing_fields_and_non_objects_are_refused() -> None:
    data = event_to_dict(EXAMPLES[2])
    del data["lead"]
    with pytest.raises(EventFormatError, match=r"Dispatched\.lead: Field required"):
        event_from_dict(data)
    with pytest.raises(EventFormatError, match="event: expected an object"):
        event_from_dict([1])
