"""Parsed YAML kept between runs: the same values and lines as a fresh parse, never stale, never
an error kept, and nothing kept that JSON would not give back as it was."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
import yaml

import ivr_flows.yaml_cache as yaml_cache
import ivr_flows.yaml_source as yaml_source
from callcenter.config.yaml_source import Origin, YamlError, loads_yaml
from ivr_flows.yaml_cache import ENV
from ivr_flows.yaml_limits import YamlLimitError
from ivr_flows.yaml_source import load_data, load_yaml

FLOW = """\
flow: demo
nodes:
  greeting: {kind: play, prompts: [welcome], next: menu}
  menu:
    kind: menu
    choices: {"1": bye, "2": bye}
    choices: {"9": bye}
  bye: {kind: hangup}
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(ENV, str(folder))
    return folder


def entries(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.json")) if folder.exists() else []


def parsed(text: str) -> tuple:
    data, source = load_yaml(text, "demo.yaml")
    return data, source.lines, source.duplicates


def test_a_kept_parse_is_the_fresh_parse_and_is_used(cache: Path, monkeypatch) -> None:
    monkeypatch.setenv(ENV, "")
    fresh = parsed(FLOW)
    assert fresh[2] == [(("nodes", "menu", "choices"), 7)]  # the duplicate key, with its line
    monkeypatch.setenv(ENV, str(cache))
    assert parsed(FLOW) == fresh and len(entries(cache)) == 1
    monkeypatch.setattr(yaml_source, "compose_and_construct", None)  # a parse would now fail
    assert parsed(FLOW) == fresh
    assert load_data(FLOW) == fresh[0] == yaml.safe_load(FLOW)
    with pytest.raises(TypeError):  # another text is parsed, not looked up by file or name
        parsed(FLOW + "# changed\n")


def test_an_invalid_document_is_never_kept_and_its_error_names_the_line(cache: Path) -> None:
    text = "flow: demo\nnodes: {a: [\n"
    for _ in range(2):
        with pytest.raises(yaml.YAMLError) as caught:
            load_yaml(text, "demo.yaml")
        assert caught.value.problem_mark.line + 1 == 3
        with pytest.raises(YamlError, match=r"^broken.yaml:3: invalid YAML"):
            loads_yaml(text, "broken.yaml")
        with pytest.raises(YamlLimitError, match=r"^deep.yaml:1: nested deeper"):
            load_data("[" * 100 + "]" * 100, "deep.yaml")
    assert entries(cache) == []


def test_values_json_would_change_are_parsed_every_time(cache: Path) -> None:
    for text, value in [("day: 2027-01-01\n", {"day": dt.date(2027, 1, 1)}),
                        ("2027: {holidays: []}\n", {2027: {"holidays": []}}),
                        ('a: "\\ud800"\n', {"a": "\ud800"}),  # a lone surrogate: not UTF-8
                        ("a: 1.0\nb: 1\nc: true\n", {"a": 1.0, "b": 1, "c": True})]:
        for _ in range(2):
            data = load_data(text)
            assert data == value
            assert [type(v) for v in data.values()] == [type(v) for v in value.values()]
    assert len(entries(cache)) == 1  # only the last: JSON keeps 1.0, 1 and true apart


def test_a_corrupt_or_foreign_entry_is_parsed_again(cache: Path) -> None:
    load_data(FLOW)
    (entry,) = entries(cache)
    for junk in ["{not json", '{"key": "another", "value": {"flow": "evil"}}', ""]:
        entry.write_text(junk, encoding="utf-8")
        assert load_data(FLOW)["flow"] == "demo"


def test_a_config_parse_kept_under_one_name_names_the_file_it_is_loaded_from(cache: Path) -> None:
    text = "lines:\n  - number: '12345'\n    flow: line_12345\n"
    first = loads_yaml(text, "a.yaml")[1]
    second = loads_yaml(text, "b.yaml")[1]
    assert len(entries(cache)) == 1
    assert first.locate(("lines", 0, "flow")) == Origin("a.yaml", 3)
    assert second.locate(("lines", 0, "flow")) == Origin("b.yaml", 3)
    assert second.locate(("nowhere",)) == Origin("b.yaml", 1)


def test_an_unwritable_cache_folder_only_means_no_cache(tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv(ENV, str(blocker / "cache"))  # a folder cannot be made under a file
    assert load_data(FLOW)["flow"] == "demo"
    assert list(tmp_path.iterdir()) == [blocker]


def test_another_build_of_the_parser_is_another_key(monkeypatch) -> None:
    assert "__init__.py:" in yaml_cache._parser() and "constructor.py:" in yaml_cache._parser()
    before = yaml_cache._key("data", FLOW)
    monkeypatch.setattr(yaml_cache, "_parser", lambda: "PyYAML 7")
    assert yaml_cache._key("data", FLOW) != before


def test_another_version_of_our_own_walkers_is_another_key(monkeypatch) -> None:
    sources = yaml_cache._sources()
    for name in ["yaml_source.py", "yaml_limits.py", "yaml_cache.py"]:
        assert f"{name}:" in sources
    assert sources.count("yaml_source.py:") == 1 and "missing" not in sources
    before = yaml_cache._key("data", FLOW)
    monkeypatch.setattr(yaml_cache, "_sources", lambda: "yaml_source.py:1:2")
    assert yaml_cache._key("data", FLOW) != before


def test_each_subfolder_keeps_the_entries_used_last(cache: Path, monkeypatch) -> None:
    monkeypatch.setattr(yaml_cache, "PER_FOLDER", 2)
    real_key = yaml_cache._key
    monkeypatch.setattr(yaml_cache, "_key", lambda kind, text: "aa" + real_key(kind, text)[2:])
    a, b, c = "a: 1\n", "b: 2\n", "c: 3\n"
    load_data(a)
    load_data(b)
    long_ago = {name: 10**18 + i for i, name in enumerate((a, b))}  # both written long ago
    for text, when in long_ago.items():
        os.utime(cache / "aa" / f"{yaml_cache._key('data', text)}.json", ns=(when, when))
    load_data(a)  # used again: now the newest
    load_data(c)
    kept = {path.name for path in entries(cache)}
    assert kept == {f"{yaml_cache._key('data', text)}.json" for text in (a, c)}


@pytest.mark.parametrize("forged", ["folder", "entry"])
def test_an_entry_others_could_have_written_is_not_used(cache: Path, monkeypatch, forged) -> None:
    fresh = parsed(FLOW)
    [entry] = entries(cache)
    assert entry.stat().st_mode & 0o777 == 0o600 and entry.parent.stat().st_mode & 0o077 == 0
    kept = entry.read_text(encoding="utf-8")
    assert '"demo"' in kept
    entry.write_text(kept.replace('"demo"', '"forged"'), encoding="utf-8")
    assert parsed(FLOW)[0]["flow"] == "forged"  # this user's own entry is used as it is
    if forged == "folder":
        entry.parent.chmod(0o777)
    else:
        entry.chmod(0o666)
    assert parsed(FLOW) == fresh  # a fresh parse, not the entry anyone could have written
    monkeypatch.setattr(yaml_source, "compose_and_construct", None)
    with pytest.raises(TypeError):  # parsed every time, the cache left alone
        parsed(FLOW)


def test_the_folders_the_cache_makes_are_private_whatever_the_umask(tmp_path: Path,
                                                                    monkeypatch) -> None:
    folder = tmp_path / "a" / "cache"
    monkeypatch.setenv(ENV, str(folder))
    umask = os.umask(0o002)
    try:
        fresh = parsed(FLOW)
    finally:
        os.umask(umask)
    [entry] = entries(folder)
    for level in (entry.parent, folder):
        assert level.stat().st_mode & 0o077 == 0
    monkeypatch.setattr(yaml_source, "compose_and_construct", None)  # a parse would now fail
    assert parsed(FLOW) == fresh


def test_a_cache_folder_named_through_a_symlink_is_used(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "real").mkdir(mode=0o700)
    (tmp_path / "named").symlink_to(tmp_path / "real", target_is_directory=True)
    monkeypatch.setenv(ENV, str(tmp_path / "named"))
    fresh = parsed(FLOW)
    assert len(entries(tmp_path / "real")) == 1
    monkeypatch.setattr(yaml_source, "compose_and_construct", None)  # a parse would now fail
    assert parsed(FLOW) == fresh
