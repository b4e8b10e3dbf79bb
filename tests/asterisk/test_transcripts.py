"""The transcript reader: sections, timings, steps, EOF markers, fixture lookup."""

from __future__ import annotations

from pathlib import Path

import pytest

from callcenter.asterisk import transcripts
from callcenter.asterisk.transcripts import RECEIVED, SENT, agi_script, ami_blocks, parse

from .fixtures import fixture_path

SAMPLE = """# header comment
# ==== session 1 ====
# @+0.004s
<< agi_network: yes
<< agi_accountcode: {space}
<<
>> ANSWER
# @+0.506s
<< 200 result=0
<< HANGUP
# (Asterisk closed the TCP connection: EOF)
# ==== session 2 ====
<< agi_network: yes
<<
""".format(space="")


def test_sections_lines_and_timings():
    parsed = parse(SAMPLE)
    assert parsed.header == ("# header comment",)
    first, second = parsed.sections
    assert first.title == "session 1" and first.closed_by_peer and not second.closed_by_peer
    assert [line.direction for line in first.lines] == [RECEIVED] * 3 + [SENT] + [RECEIVED] * 2
    assert first.lines[1].text == "agi_accountcode: "  # trailing space kept
    assert first.lines[0].at == 0.004 and first.lines[-1].at == 0.506
    script = agi_script(first)
    assert script.environment == ("agi_network: yes", "agi_accountcode: ")
    assert [(s.command, s.replies) for s in script.steps] == [
        ("ANSWER", ("200 result=0", "HANGUP"))
    ]


def test_ami_blocks_steps_and_banner():
    text = "\n".join(
        [
            "<< Asterisk Call Manager/12.0.0",
            "# ---- step: first ----",
            ">> Action: Ping",
            ">>",
            "<< Response: Success",
            "<< Ping: Pong",
            "<<",
        ]
    )
    banner, action, response = ami_blocks(parse(text).lines)
    assert banner.is_banner and banner.lines == ("Asterisk Call Manager/12.0.0",)
    assert action.direction == SENT and action.step == "first" and action.get("action") == "Ping"
    assert response.headers() == [("Response", "Success"), ("Ping", "Pong")]


def test_malformed_lines_are_rejected():
    with pytest.raises(ValueError, match="not a transcript line"):
        parse("<<x\n")
    with pytest.raises(ValueError, match="unterminated"):
        ami_blocks(parse("<< banner/1.0\n<< Event: X\n").lines)


def test_fixture_folder_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(transcripts.FIXTURES_ENV, str(tmp_path))
    assert transcripts.fixtures_dir() == tmp_path
    with pytest.raises(pytest.fail.Exception, match="missing"):
        fixture_path("agi_session_basic.txt")
    monkeypatch.setenv(transcripts.FIXTURES_ENV, str(tmp_path / "absent"))
    with pytest.raises(pytest.fail.Exception, match="not found"):
        fixture_path("agi_session_basic.txt")


def test_the_repository_owns_its_fixtures(monkeypatch):
    """Without the variable the transcripts come from the repository, wherever it is cloned."""
    monkeypatch.delenv(transcripts.FIXTURES_ENV, raising=False)
    folder = transcripts.fixtures_dir()
    assert folder == Path(__file__).resolve().parents[1] / "fixtures" / "asterisk"
    assert (folder / "README.txt").is_file() and (folder / "live" / "README.txt").is_file()
    assert fixture_path("agi_session_basic.txt").parent == folder
