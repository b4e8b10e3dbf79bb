"""``callcenter cases``: users without default credentials, imports with errors naming file,
line and field (exit 2, one line, no traceback), CSV export, evaluation and report."""

from __future__ import annotations

import csv
import io
import os

import pytest
from click.testing import CliRunner

from callcenter.casework.accounts import User
from callcenter.casework.service import build_casework
from callcenter.cli import main

MONDAY_9AM = 1_794_790_800.0


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path / 'cases.db'}"


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, ["cases", *args], input=input)


def secret(tmp_path, text="a long enough password\n", mode=0o600):
    path = tmp_path / "pw"
    path.write_text(text)
    os.chmod(path, mode)
    return str(path)


def test_add_user_from_a_file_or_prompt_and_no_default_users(db, tmp_path):
    assert run("users", "--db", db).output == ""  # nobody can log in before a user is added
    ok = run("add-user", "li.na", "--role", "supervisor", "--password-file", secret(tmp_path), "--db", db)
    assert ok.exit_code == 0, ok.output
    prompted = run("add-user", "w1", "--role", "department", "--department", "water", "--db", db,
                   input="typed password 123\ntyped password 123\n")
    assert prompted.exit_code == 0, prompted.output
    assert run("users", "--db", db).output.splitlines() == ["li.na\tsupervisor\t", "w1\tdepartment\twater"]
    casework = build_casework(db)
    try:
        assert casework.accounts.authenticate("w1", "typed password 123") == User("w1", "department", "water")
    finally:
        casework.close()


@pytest.mark.parametrize("args, message", [
    (("add-user", "x1", "--role", "department", "--department", "nowhere"),
     "department: unknown department 'nowhere'"),
    (("add-user", "x1", "--role", "agent"), "password: must be at least 12 characters"),
])
def test_bad_users_exit_2_naming_the_field(db, tmp_path, args, message):
    result = run(*args, "--db", db, "--password-file", secret(tmp_path, "short\n"
                 if "agent" in args else "long enough password\n"))
    assert result.exit_code == 2 and result.output.strip() == f"Error: {message}"


def test_a_password_file_readable_by_others_is_refused(db, tmp_path):
    result = run("add-user", "x1", "--role", "agent", "--password-file", secret(tmp_path, mode=0o644),
                 "--db", db)
    assert result.exit_code == 2 and "chmod 600" in result.output


def test_imports_name_file_line_and_field(db, tmp_path):
    departments = tmp_path / "departments.csv"
    departments.write_text("code,name\nwater,市水务局\nroads,\n", encoding="utf-8")
    result = run("import-departments", str(departments), "--db", db)
    assert result.exit_code == 2
    assert result.output.strip() == f"Error: {departments}:3: name: empty"
    departments.write_text("code,name\nwater,市水务局\nroads,市道路局\n", encoding="utf-8")
    assert run("import-departments", str(departments), "--db", db).exit_code == 0
    taxonomy = tmp_path / "taxonomy.yaml"
    taxonomy.write_text('categories:\n  - {code: "01", name: 咨询, kind: consultation}\n'
                        '  - {code: "02", name: 求助, kind: helping}\n', encoding="utf-8")
    result = run("import-taxonomy", str(taxonomy), "--db", db)
    assert result.exit_code == 2 and result.output.startswith(f"Error: {taxonomy}:3: categories[1].kind:")
    assert len(result.output.strip().splitlines()) == 1
    # the imported departments are what the service dispatches to
    casework = build_casework(db)
    try:
        assert set(casework.service.directory.departments) == {"water", "roads"}
    finally:
        casework.close()


def test_export_evaluation_and_report_of_a_day(db):
    pytest.importorskip("cases.evaluation")
    clock = [MONDAY_9AM]
    casework = build_casework(db, clock=lambda: clock[0])
    agent, water = User("a1", "agent"), User("w1", "department", "water")
    try:
        for n in range(4):
            fields = {"channel": "phone", "category": "0201", "text": f"停水{n}",
                      "caller_number": f"1380000000{n}", "district": "历下区"}
            case = casework.service.open(agent, fields).case
            if n:
                casework.service.act(agent, case.case_id, "Dispatched", {"lead": "water"})
                casework.service.act(water, case.case_id, "SignedFor", {"department": "water"})
            else:
                casework.service.act(agent, case.case_id, "AnsweredDirectly", {"answer": "已答复"})
    finally:
        casework.close()
    exported = run("export", "--from", "2026-11-16", "--db", db)
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert len(rows) == 4 and rows[0]["opened"] == "2026-11-16 09:00:00" and rows[0]["text"] == "停水0"
    assert run("export", "--from", "2026-11-17", "--db", db).stdout.count("\n") == 1  # the header only
    evaluation = run("evaluation", "--from", "2026-11-16", "--db", db)
    assert evaluation.exit_code == 0, evaluation.output
    assert "4 requests, 1 direct (直办率 25.0%)" in evaluation.output
    assert [line.split()[:2] for line in evaluation.output.splitlines() if line.startswith("water")] == [
        ["water", "3"]]
    report = run("report", "--from", "2026-11-16", "--to", "2026-11-22", "--db", db)
    assert report.exit_code == 0 and "routine report 2026-11-16 to 2026-11-22: 4 requests" in report.output
    special = run("special", "--from", "2026-11-16", "--minimum", "3", "--db", db)
    assert special.exit_code == 0
    assert special.output.splitlines()[1].split() == ["subject", "历下区|0201", "4", "20261116-000001",
                                                      "20261116-000004"]
    fewer = run("special", "--from", "2026-11-16", "--minimum", "5", "--db", db)
    assert fewer.output == "no place or subject with 5 or more requests\n"
    bad = run("report", "--from", "16/11/2026", "--db", db)
    assert bad.exit_code == 2
    assert bad.output.strip() == "Error: --from: '16/11/2026' is not a date (YYYY-MM-DD)"
