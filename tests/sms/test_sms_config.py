"""The ``sms:`` config section and its templates file: `config check` names file, line and
field for every problem; the secret is a reference, never a value."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from callcenter.cli import main
from callcenter.config import ConfigError, load_config
from callcenter.config.loader import default_config_path
from callcenter.sms.templates import default_templates_path

SECTION = 'sms:\n  smsc: "127.0.0.1:2775"\n  system_id: hotline\n'


def folder_with(tmp_path, sms: str, templates: str | None = None):
    folder = tmp_path / "config"
    folder.mkdir()
    shutil.copy(default_config_path(), folder / "hotline.yaml")
    (folder / "sms.yaml").write_text(sms, encoding="utf-8")
    if templates is not None:
        (folder / "sms").mkdir()  # not beside hotline.yaml: a config folder reads every *.yaml in it
        (folder / "sms" / "templates.yaml").write_text(templates, encoding="utf-8")
    return folder


def test_the_section_with_the_shipped_templates(tmp_path):
    config = load_config(folder_with(tmp_path, SECTION))
    assert config.sms.address() == ("127.0.0.1", 2775)
    hours = config.sms.sending_hours("Asia/Shanghai")
    assert (hours.start, hours.end) == ("08:00", "21:00")
    assert config.sms.secret_env == "CALLCENTER_SMPP_PASSWORD" and config.sms.templates is None


def test_a_relative_templates_file_is_found_beside_the_config(tmp_path):
    shipped = default_templates_path().read_text(encoding="utf-8")
    folder = folder_with(tmp_path, SECTION + "  templates: sms/templates.yaml\n", shipped)
    assert load_config(folder).sms.templates == str(folder / "sms" / "templates.yaml")


@pytest.mark.parametrize(("line", "field", "message"), [
    ('  smsc: "smsc.example"\n', "sms.smsc", "expected host:port"),
    ("  password: hunter2\n", "sms.password", "unknown field"),
    ("  system_id: a-much-too-long-system-id\n", "sms.system_id", "at most 15"),
    ('  quiet_hours: "21:00-21:00"\n', "sms.quiet_hours", "the night as HH:MM-HH:MM"),
    ('  quiet_hours: "08:00-21:00"\n', "sms.quiet_hours", "from a time to an earlier one"),
    ("  rate_per_second: 0\n", "sms.rate_per_second", "greater than 0"),
])
def test_a_bad_section_names_file_line_and_field(tmp_path, line, field, message):
    text = SECTION.replace('  smsc: "127.0.0.1:2775"\n', "") if "smsc" in line else SECTION
    text = text.replace("  system_id: hotline\n", "") if "system_id" in line else text
    with pytest.raises(ConfigError) as caught:
        load_config(folder_with(tmp_path, text + line))
    [issue] = caught.value.issues
    assert issue.origin.file.endswith("sms.yaml") and issue.field == field and message in issue.message
    assert issue.origin.line == (text + line).count("\n")


@pytest.mark.parametrize(("edit", "line", "field", "message"), [
    (lambda t: t.replace("{case_id}。办理", "{case}。办理"), 7, "intake.zh", "unknown placeholder {case}"),
    (lambda t: t.replace("Case {case_id} is closed. Reply: {reply}", "Case {reply!r}"), 16, "closure.en",
     "no format spec or conversion"),
    (lambda t: t.replace("  ja: \"【{center}】受付番号{case_id}の対応を終了しました", "  xx: \"ok"), 25,
     "closure_no_reply.xx", "unknown language"),
    (lambda t: t.replace("  en: \"[{center}] Case {case_id} is closed. Questions: call {line}.\"\n", ""), 22,
     "closure_no_reply", "en: required language is missing"),
    (lambda t: t.replace("{line}。\"\n  en: \"[{center}] Your", "{line\"\n  en: \"[{center}] Your"),
     7, "intake.zh", "bad braces"),
    (lambda t: t.replace("Questions: call {line}.", "Questions: " + "x" * 1000, 1),
     16, "closure.en", "takes 7 SMS"),
])
def test_a_bad_template_names_file_line_and_field(tmp_path, edit, line, field, message):
    shipped = default_templates_path().read_text(encoding="utf-8")
    changed = edit(shipped)
    assert changed != shipped
    folder = folder_with(tmp_path, SECTION + "  templates: sms/templates.yaml\n", changed)
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    [issue] = caught.value.issues
    where = (str(folder / "sms" / "templates.yaml"), line, field)
    assert (issue.origin.file, issue.origin.line, issue.field) == where
    assert message in issue.message


def test_config_check_prints_one_line_per_problem_and_exits_2(tmp_path):
    folder = folder_with(tmp_path, SECTION + "  templates: missing.yaml\n")
    result = CliRunner().invoke(main, ["config", "check", str(folder)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"{folder / 'missing.yaml'}:1: cannot read" in result.output


def test_config_check_summarises_the_section(tmp_path):
    result = CliRunner().invoke(main, ["config", "check", str(folder_with(tmp_path, SECTION))])
    assert result.exit_code == 0, result.output
    assert ("sms: SMPP 127.0.0.1:2775 as hotline (transceiver), from 12345, 10/s, quiet 21:00-08:00, "
            "templates shipped; password from $CALLCENTER_SMPP_PASSWORD or 'smpp = ...'") in result.output
