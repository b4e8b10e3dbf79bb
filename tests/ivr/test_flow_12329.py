"""Timelines of line 12329: balance query by resident ID through the plug-in, agent any time."""

from __future__ import annotations

import csv

import pytest

from ivr_flows import commands as c
from ivr_flows import events as e
from ivr_flows.digit_checks import resident_id_check_digit
from ivr_flows.housing_fund import SAMPLE_CSV
from tests.ivr.driver import Call, only


@pytest.fixture(scope="module")
def account():
    with open(SAMPLE_CSV, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return next(r for r in rows if r["id_number"].endswith("X"))


@pytest.fixture
def call(flows):
    return Call(flows, "line_12329")


def typed(id_number: str) -> str:
    return id_number.replace("X", "*")


def at_id_prompt(call) -> None:
    call.start()
    call.press("1", 2.0)
    call.prompt_done(10.0)


def query(out):
    return only(out, c.RunQuery)


def test_greeting_and_menu_then_agent_on_zero(call):
    out = call.start()
    assert call.played(out) == [("welcome_12329", "zh"), ("menu_12329", "zh")]
    out = call.press("0", 1.0)
    assert only(out, c.Enqueue).queue == "zh-housing-fund"


def test_balance_found_is_read_out_as_an_amount(call, registry, account):
    at_id_prompt(call)
    out = call.press_all(typed(account["id_number"]), 11.0)
    run_query = query(out)  # 18 keys complete the entry without '#'
    assert run_query.plugin == "housing_fund_balance"
    assert run_query.arguments == {"id_number": account["id_number"]}
    assert call.run.next_deadline() == pytest.approx(11.0 + 17 * 0.3 + 5)
    answer = registry.answer(run_query)
    out = call.send(answer, 17.0)
    play = only(out, c.PlayPrompts)
    assert play.items[1] == c.Number(account["balance"], "amount", "zh")
    assert [i.key for i in play.items if isinstance(i, c.Prompt)] == ["balance_is", "after_balance"]
    # 1 hears it again, 9 ends the call politely
    out = call.press("1", 18.0)
    assert c.Number(account["balance"], "amount", "zh") in only(out, c.PlayPrompts).items
    out = call.press("9", 19.0)
    assert call.played(out) == [("goodbye", "zh")]
    assert call.prompt_done(21.0) == [c.HangUp()]
    assert call.run.outcome.kind == "hung_up"


def test_terminator_ends_entry_and_unknown_account_offers_retry_or_agent(call, registry):
    first17 = "11010519491231002"
    unknown = first17 + resident_id_check_digit(first17)
    at_id_prompt(call)
    out = call.press_all(unknown[:17], 11.0)
    assert not any(isinstance(x, c.RunQuery) for x in out)
    out = call.press_all(unknown[17:].replace("X", "*"), 20.0)
    answer = registry.answer(query(out))
    assert answer.outcome == "not_found"
    out = call.send(answer, 20.5)
    assert call.played(out) == [("account_not_found", "zh"), ("retry_or_agent", "zh")]
    out = call.press("1", 21.0)
    assert call.played(out) == [("enter_id", "zh")]
    out = call.press("*", 22.0)  # * as the first key: the agent
    assert only(out, c.Enqueue).queue == "zh-housing-fund"


def test_wrong_check_digit_retries_then_agent_after_three_tries(call):
    at_id_prompt(call)
    bad = "110105194912310021"  # check character should be X
    for attempt in range(3):
        out = call.press_all(bad, 11.0 + attempt * 20)
        if attempt < 2:
            assert call.played(out)[0] == ("invalid_id", "zh")
            assert ("enter_id", "zh") in call.played(out)
    assert only(out, c.Enqueue).queue == "zh-housing-fund"


def test_too_short_entry_with_terminator_is_invalid(call):
    at_id_prompt(call)
    out = call.press_all("1234#", 11.0)
    assert call.played(out)[0] == ("invalid_id", "zh")
    assert call.run.node == "enter_id"


def test_pause_in_the_middle_of_typing_counts_as_invalid(call):
    at_id_prompt(call)
    call.press_all("11010519", 11.0)
    assert call.run.next_deadline() == pytest.approx(11.0 + 7 * 0.3 + 5)
    out = call.advance(30.0)
    assert call.played(out)[0] == ("invalid_id", "zh")


def test_no_entry_at_all_times_out_to_the_agent(call):
    at_id_prompt(call)
    out = call.advance(18.0)  # 8 s after the prompt
    assert call.played(out)[0] == ("no_input", "zh")
    call.prompt_done(25.0)
    out = call.advance(33.0)
    assert call.played(out)[0] == ("no_input", "zh")
    call.prompt_done(40.0)
    out = call.advance(48.0)
    assert only(out, c.Enqueue).queue == "zh-housing-fund"


def test_plug_in_error_apologises_then_agent(call, account):
    at_id_prompt(call)
    out = call.press_all(typed(account["id_number"]), 11.0)
    out = call.send(e.QueryAnswered(query(out).query_id, "error"), 17.0)
    assert call.played(out) == [("service_unavailable", "zh")]
    assert only(call.prompt_done(19.0), c.Enqueue).queue == "zh-housing-fund"


def test_plug_in_that_never_answers_times_out_to_the_error_branch(call, account):
    at_id_prompt(call)
    out = call.press_all(typed(account["id_number"]), 11.0)
    stale = query(out).query_id
    out = call.advance(16.1 + 5)
    assert call.played(out) == [("service_unavailable", "zh")]
    assert call.send(e.QueryAnswered(stale, "found", {"balance": "1"}), 22.0) == []


def test_main_menu_silence_three_times_reaches_an_agent(call):
    call.start()
    for n in range(3):
        call.prompt_done(6.0 + n * 20)
        out = call.advance(11.0 + n * 20)
    assert only(out, c.Enqueue).queue == "zh-housing-fund"


def test_caller_hangs_up_while_typing(call):
    at_id_prompt(call)
    call.press_all("4201", 11.0)
    assert call.hang_up(12.5) == []
    assert call.run.outcome.kind == "caller_hung_up"
    assert call.run.outcome.node == "enter_id"
    assert "id_number" not in call.run.variables


def test_press_1_then_18_digits_then_hash_hears_the_balance(call, registry, account):
    """As the prompt says: the ID, then '#'. The '#' ends the entry; it is not the menu's key."""
    at_id_prompt(call)
    last = 11.0 + 17 * 0.3
    out = call.press_all(typed(account["id_number"]), 11.0)
    out = call.send(registry.answer(query(out)), last + 0.05)  # the 18th key completed the entry
    play = only(out, c.PlayPrompts)
    assert play.items[1] == c.Number(account["balance"], "amount", "zh")
    assert call.press("#", last + 0.6) == []  # no StopPlaying, no goodbye: the amount plays on
    assert call.played(call.prompt_done(last + 9.0)) == []  # heard to the end; the menu waits
    assert call.run.node == "balance" and not call.run.finished
    out = call.press("#", last + 10.0)  # later, '#' is the menu's (not a choice: goodbye)
    assert call.played(out)[-1] == ("goodbye", "zh")


def test_hash_typed_while_the_query_runs_is_ignored(call, registry, account):
    at_id_prompt(call)
    out = call.press_all(typed(account["id_number"]), 11.0)
    run_query = query(out)
    assert call.press("#", 16.5) == []
    out = call.send(registry.answer(run_query), 17.0)
    assert only(out, c.PlayPrompts).items[1] == c.Number(account["balance"], "amount", "zh")
    assert call.press("1", 18.0) != []  # and it used up the entry's '#': the next key counts
