"""``callcenter report``: the definition line on every report, JSON, and exit 2 on bad input."""

import json

import pytest
from click.testing import CliRunner

from callcenter.cli import main
from callcenter.config import default_config_path
from callcenter.records import RecordStore
from tests.operations.factories import local_epoch, make_record

T = local_epoch("2026-11-20 09:00:00")


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'records.db'}"
    waits = [2, 5, 9, 14, 16, 25]  # answered; four within 15 s
    records = [make_record(f"a{i}", arrived_at=T + i, wait=w, talk=100 + 10 * i)
               for i, w in enumerate(waits)]
    records += [make_record("x1", arrived_at=T + 50, wait=40, outcome="abandoned", line="12329"),
                make_record("x2", arrived_at=T + 60, wait=3, outcome="abandoned", language="en",
                            queue="en-general")]
    with RecordStore.open(url) as store:
        store.add_calls(records)
    return url


def run(*args):
    return CliRunner().invoke(main, ["report", *args], catch_exceptions=False)


def config_with(tmp_path, old, new):
    text = default_config_path().read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "hotline.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return str(path)


def test_text_report_prints_the_definition_and_the_figures(db):
    result = run("--day", "2026-11-20", "--db", db)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1] == ("Definition: service level = answered within 15 s / "
                        "(answered + overflowed + abandoned); wait measured from queue entry")
    overall = next(line for line in lines if line.startswith("all calls"))
    # 8 offered, 6 answered (75.0%), 4 of 8 within 15 s (50.0%), 2 abandons, ASA 71/6
    assert overall.split()[2:9] == ["8", "6", "75.0%", "50.0%", "2", "0", f"{71 / 6:.1f}"]
    assert overall.endswith("missed, missed")
    assert "12329 Housing provident fund" in result.output
    assert "en English" in result.output


def test_the_configured_definition_is_the_one_used_and_printed(db, tmp_path):
    config = config_with(tmp_path, "short_abandon_seconds: 0", "short_abandon_seconds: 5")
    result = run("--day", "2026-11-20", "--db", db, "--config", config, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["service_level_definition"] == (
        "service level = answered within 15 s / (answered + overflowed + abandoned, abandons "
        "under 5 s excluded); wait measured from queue entry")
    overall = data["overall"]
    assert (overall["short_abandons"], overall["sl_denominator"]) == (1, 7)  # x2 left out
    assert overall["service_level"] == pytest.approx(4 / 7)
    assert data["by_queue"]["en-general"]["service_level"] is None  # only a short abandon
    assert data["by_queue"]["zh-general"]["targets"] == {"service_level": "missed",
                                                        "connection_rate": "missed"}
    config = config_with(tmp_path, "abandons_in_denominator: true",
                         "abandons_in_denominator: false")
    text = run("--day", "2026-11-20", "--db", db, "--config", config).output
    assert "Definition: service level = answered within 15 s / (answered + overflowed);" in text


def test_bad_date_and_missing_database_exit_2(tmp_path, db):
    bad = run("--day", "2026-11-31", "--db", db)
    assert bad.exit_code == 2 and "expected a date as YYYY-MM-DD" in bad.output
    missing = tmp_path / "nowhere.db"
    gone = run("--day", "2026-11-20", "--db", f"sqlite:///{missing}")
    assert gone.exit_code == 2 and f"no record database at {missing}" in gone.output
    assert not missing.exists()


def test_database_from_the_environment(db, monkeypatch):
    monkeypatch.setenv("CALLCENTER_DB", db)
    result = run("--day", "2026-11-21")
    assert result.exit_code == 0 and "Definition: service level" in result.output
