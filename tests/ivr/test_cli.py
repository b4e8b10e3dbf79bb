"""``callcenter flows check`` and ``callcenter prompts build``."""

from __future__ import annotations

from click.testing import CliRunner

from callcenter.cli import main
from tests.ivr.flowtext import write_flow


def test_flows_check_passes_on_the_shipped_flows():
    result = CliRunner().invoke(main, ["flows", "check"])
    assert result.exit_code == 0, result.output
    assert "8 flow(s) OK" in result.output
    assert "warning" not in result.output


def test_flows_check_exits_2_and_names_file_line_and_node(tmp_path):
    path = write_flow(tmp_path, "bad", """
        flow: bad
        start: hello
        nodes:
          hello:
            kind: play
            prompts: [goodbye]
          lost:
            kind: hangup
    """)
    result = CliRunner().invoke(main, ["flows", "check", str(path)])
    assert result.exit_code == 2
    assert f"{path}:4: node 'hello': no way out: 'next' is missing" in result.output
    assert f"{path}:7: node 'lost': unreachable" in result.output


def test_flows_check_warns_of_a_menu_key_equal_to_the_terminator_before_it(tmp_path):
    path = write_flow(tmp_path, "line_12329", """
        flow: line_12329
        language: zh
        start: ask
        nodes:
          ask:
            kind: collect
            prompts: [enter_id]
            into: id_number
            min_length: 18
            max_length: 18
            terminator: "#"
            invalid: retry
            timeout: retry
            failure: bye
            next: lookup
          lookup:
            kind: query
            plugin: housing_fund_balance
            inputs: {id_number: id_number}
            outcomes: {found: balance, error: bye}
          balance:
            kind: menu
            prompts: [balance_is]
            choices: {"1": balance, "#": bye}
            invalid: retry
            timeout: bye
            failure: bye
          bye: {kind: hangup, prompts: [goodbye]}
    """)
    result = CliRunner().invoke(main, ["flows", "check", str(path)])
    assert result.exit_code == 0, result.output  # a warning, not an error
    assert (f"{path}:24: node 'balance': warning: key '#' is also the terminator of collect "
            f"'ask' that leads here") in result.output


def test_prompts_build_reuses_the_cache(built_prompts):
    result = CliRunner().invoke(main, ["prompts", "build", "--out", str(built_prompts.out),
                                       "--language", "ja"])
    assert result.exit_code == 0, result.output
    assert "0 synthesised" in result.output and "from cache" in result.output
