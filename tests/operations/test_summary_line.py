"""The canonical summary log line: eight key=value fields that split back exactly."""

import shlex

import pytest

from callcenter.records import call_summary_line
from tests.operations.factories import make_record

KEYS = ["call_id", "line", "language", "queue", "wait", "talk", "outcome", "agent"]


def fields(line):
    return dict(part.split("=", 1) for part in shlex.split(line))


def test_answered_call_line():
    record = make_record("1732080000.42", arrived_at=1.79e9, ivr=7, wait=12.3456, talk=95.5,
                         agent_id="1007", line="12315", language="en", queue="en-general")
    line = call_summary_line(record)
    assert line.split(" ")[0] == "call_id=1732080000.42"
    assert fields(line) == {"call_id": "1732080000.42", "line": "12315", "language": "en",
                            "queue": "en-general", "wait": "12.346", "talk": "95.500",
                            "outcome": "answered", "agent": "1007"}


@pytest.mark.parametrize("call_id", ["a b", 'say "hi"', "tab\there", "back\\slash", "", "k=v"])
def test_awkward_values_stay_one_field(call_id):
    record = make_record(call_id, arrived_at=1.79e9, wait=3, outcome="abandoned", line=None)
    parsed = fields(call_summary_line(record))
    assert list(parsed) == KEYS
    assert parsed["line"] == "-" and parsed["agent"] == "-" and parsed["outcome"] == "abandoned"
    if "\t" not in call_id:
        assert parsed["call_id"] == call_id
