"""Loading rejects broken flows with messages naming the file, the line and the node."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ivr_flows.catalogue import load_catalogue
from ivr_flows.context import FlowContext
from ivr_flows.issues import FlowError
from ivr_flows.loader import load_flows
from tests.ivr.flowtext import write_flow

GOOD = """\
flow: demo
start: menu
nodes:
  menu:
    kind: menu
    prompts: [menu_12329]
    choices: {"1": agent, "2": bye}
    tries: 2
    invalid: retry
    timeout: retry
    failure: agent
  agent:
    kind: route
    queue: zh-general
  bye:
    kind: hangup
    prompts: [goodbye]
"""


def errors(tmp_path, context, catalogue, body: str) -> list[str]:
    path = write_flow(tmp_path, "demo", body)
    with pytest.raises(FlowError) as info:
        load_flows([path], context=context, catalogue=catalogue)
    return [str(i) for i in info.value.issues]


def line_of(body: str, needle: str) -> int:
    return next(n for n, text in enumerate(body.splitlines(), 1) if needle in text)


def test_the_good_flow_loads(tmp_path, context, catalogue):
    flows = load_flows([write_flow(tmp_path, "demo", GOOD)], context=context, catalogue=catalogue)
    assert list(flows) == ["demo"]


def test_default_flows_pass_and_name_their_lines(flows):
    assert set(flows) == {"line_12345", "line_12315", "line_12329", "survey", "queue_busy", "return_visit",
                          "return_visit_score", "missed_callback"}


def test_unreachable_node(tmp_path, context, catalogue):
    body = GOOD + "  orphan:\n    kind: hangup\n"
    file = tmp_path / "demo.yaml"
    assert errors(tmp_path, context, catalogue, body) == [
        f"{file}:{line_of(body, 'orphan:')}: node 'orphan': "
        "unreachable: no path from start node 'menu' leads here"
    ]


def test_node_without_next_is_dead_air(tmp_path, context, catalogue):
    note = "  note:\n    kind: play\n    prompts: [please_hold]\n"
    body = GOOD.replace('"2": bye', '"2": bye, "3": note') + note
    assert errors(tmp_path, context, catalogue, body) == [
        f"{tmp_path / 'demo.yaml'}:{line_of(body, 'note:')}: node 'note': "
        "no way out: 'next' is missing"
    ]


def test_loop_that_never_ends_is_dead_air(tmp_path, context, catalogue):
    body = GOOD.replace('"2": bye', '"2": bye, "3": ping') + (
        "  ping: {kind: goto, target: pong}\n"
        "  pong:\n    kind: play\n    prompts: [please_hold]\n    next: ping\n"
    )
    msgs = errors(tmp_path, context, catalogue, body)
    suffix = "no way out: no path from here reaches a route, transfer, hang-up or return " \
             "(dead air for the caller)"
    assert msgs == [
        f"{tmp_path / 'demo.yaml'}:{line_of(body, 'ping:')}: node 'ping': {suffix}",
        f"{tmp_path / 'demo.yaml'}:{line_of(body, 'pong:')}: node 'pong': {suffix}",
    ]


def test_menu_must_state_its_failure_branch(tmp_path, context, catalogue):
    body = GOOD.replace("    failure: agent\n", "")
    assert errors(tmp_path, context, catalogue, body) == [
        f"{tmp_path / 'demo.yaml'}:4: node 'menu': "
        "menu does not state its 'failure' branch (a node or 'retry')"
    ]


def test_branch_to_unknown_node(tmp_path, context, catalogue):
    body = GOOD.replace('"2": bye', '"2": byee')
    msgs = errors(tmp_path, context, catalogue, body)
    file = tmp_path / "demo.yaml"
    assert f"{file}:7: node 'menu': 'choice 2' goes to unknown node 'byee'" in msgs
    assert any("node 'bye': unreachable" in m for m in msgs)


def test_prompt_missing_for_an_enabled_language(tmp_path, context):
    source = load_catalogue().path.read_text(encoding="utf-8")
    broken = source.replace("    ja: にゅうりょくが ただしく ありません。\n", "", 1)
    assert broken != source
    cat_path = tmp_path / "catalogue.yaml"
    cat_path.write_text(broken, encoding="utf-8")
    catalogue = load_catalogue(cat_path)
    body = GOOD.replace(
        "    failure: agent", "    invalid_prompts: [invalid_input]\n    failure: agent")
    flow_dir = tmp_path / "flows"
    flow_dir.mkdir()
    msgs = errors(flow_dir, context, catalogue, body)
    assert msgs == [
        f"{flow_dir / 'demo.yaml'}:{line_of(body, 'invalid_prompts')}: node 'menu': "
        f"prompt 'invalid_input' has no text for enabled language 'ja' "
        f"(catalogue.yaml:{catalogue.line('invalid_input')})"
    ]
    assert catalogue.missing(context.languages) == [
        f"catalogue.yaml:{catalogue.line('invalid_input')}: prompt 'invalid_input' has no text "
        "for language 'ja'"
    ]


def test_pinned_prompt_needs_only_its_own_language(tmp_path, context, catalogue):
    body = GOOD.replace("prompts: [menu_12329]", "prompts: [{key: offer_ja, language: ja}]")
    flows = load_flows([write_flow(tmp_path, "demo", body)], context=context, catalogue=catalogue)
    assert "demo" in flows


def test_unknown_prompt(tmp_path, context, catalogue):
    body = GOOD.replace("[goodbye]", "[good_bye]")
    assert errors(tmp_path, context, catalogue, body) == [
        f"{tmp_path / 'demo.yaml'}:17: node 'bye': "
        "unknown prompt 'good_bye' (not in catalogue.yaml)"
    ]


def test_unknown_queue(tmp_path, context, catalogue):
    body = GOOD.replace("queue: zh-general", "queue: zh-generall")
    [msg] = errors(tmp_path, context, catalogue, body)
    assert msg.startswith(f"{tmp_path / 'demo.yaml'}:14: node 'agent': unknown queue 'zh-generall' "
                          "(known: de-general, en-general,")


def test_unknown_plug_in(tmp_path, context, catalogue):
    body = GOOD.replace('"2": bye', '"2": ask') + (
        "  ask:\n    kind: query\n    plugin: tax_refund\n"
        "    outcomes: {found: bye, error: agent}\n"
    )
    assert errors(tmp_path, context, catalogue, body) == [
        f"{tmp_path / 'demo.yaml'}:{line_of(body, 'tax_refund')}: node 'ask': "
        "unknown plug-in 'tax_refund' (registered: housing_fund_balance)"
    ]


def test_query_without_error_outcome(tmp_path, context, catalogue):
    body = GOOD.replace('"2": bye', '"2": ask') + (
        "  ask:\n    kind: query\n    plugin: housing_fund_balance\n"
        "    outcomes: {found: bye, not_found: agent}\n"
    )
    assert errors(tmp_path, context, catalogue, body) == [
        f"{tmp_path / 'demo.yaml'}:{line_of(body, 'outcomes')}: node 'ask': "
        "query does not state its 'error' outcome"
    ]


def test_transfer_only_to_a_configured_department(tmp_path, context, catalogue):
    dept = "  dept: {kind: transfer, department: '110'}\n"
    body = GOOD.replace('"2": bye', '"2": bye, "3": dept') + dept
    [msg] = errors(tmp_path, context, catalogue, body)
    assert msg == (f"{tmp_path / 'demo.yaml'}:{line_of(body, 'dept:')}: node 'dept': unknown "
                   "department '110' (known: housing-authority, human-resources, "
                   "market-regulation, public-security)")


def test_language_not_enabled(tmp_path, catalogue):
    context = FlowContext(languages=("zh", "en"), queues=frozenset({"zh-general"}))
    body = GOOD.replace("    queue: zh-general", "    queue: zh-general\n    language: ja")
    assert errors(tmp_path, context, catalogue, body) == [
        f"{tmp_path / 'demo.yaml'}:15: node 'agent': language 'ja' is not enabled (enabled: zh, en)"
    ]


def test_unknown_validator(tmp_path, context, catalogue):
    body = GOOD.replace('"2": bye', '"2": bye, "3": ident') + (
        "  ident:\n    kind: collect\n    into: id\n    validator: passport\n"
        "    invalid: retry\n    timeout: retry\n    failure: agent\n    next: agent\n"
    )
    assert errors(tmp_path, context, catalogue, body) == [
        f"{tmp_path / 'demo.yaml'}:{line_of(body, 'passport')}: node 'ident': "
        "unknown validator 'passport' (known: digits, resident_id)"
    ]


def test_unknown_kind_and_field_are_schema_errors_with_lines(tmp_path, context, catalogue):
    body = GOOD.replace("kind: hangup", "kind: hang_up")
    body = body.replace("tries: 2", "tries: 2\n    retries: 3")
    msgs = errors(tmp_path, context, catalogue, body)
    file = tmp_path / "demo.yaml"
    line = line_of(body, "retries")
    extra = f"{file}:{line}: node 'menu': retries: Extra inputs are not permitted"
    assert extra in msgs
    assert any(m.startswith(f"{file}:{line_of(body, 'bye:')}: node 'bye': ") and "'hang_up'" in m
               for m in msgs)


def test_node_defined_twice(tmp_path, context, catalogue):
    body = GOOD + "  bye:\n    kind: hangup\n"
    assert errors(tmp_path, context, catalogue, body) == [
        f"{tmp_path / 'demo.yaml'}:{len(body.splitlines()) - 1}: node 'bye': node defined twice"
    ]


def test_yaml_syntax_error_has_a_line(tmp_path, context, catalogue):
    body = GOOD.replace("    tries: 2", "    tries: [2")
    [msg] = errors(tmp_path, context, catalogue, body)
    assert msg.startswith(f"{tmp_path / 'demo.yaml'}:") and "not valid YAML" in msg


def test_context_from_a_config_object():
    cfg = SimpleNamespace(
        languages=["zh", "en"],
        default_language="zh",
        queues=[SimpleNamespace(name="zh-general"), SimpleNamespace(name="en-general")],
        departments=[SimpleNamespace(id="public-security", name="Police", number=110)],
    )
    ctx = FlowContext.from_config(cfg, plugins=["housing_fund_balance"])
    assert ctx.languages == ("zh", "en")
    assert ctx.queues == {"zh-general", "en-general"}
    assert ctx.departments == {"public-security": "110"}
    assert ctx.plugins == {"housing_fund_balance"}
