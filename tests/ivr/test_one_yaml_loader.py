"""One reader of located YAML for flows and for the config's files: the same parse (one entry
in the parse cache), the same lines for merge keys, integer keys and keys given twice."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import ivr_flows.yaml_source as yaml_source
from callcenter.config.yaml_source import Origin, loads_yaml
from ivr_flows.yaml_cache import ENV
from ivr_flows.yaml_source import load_yaml

MERGED = """\
defaults: &defaults
  ring: 15
  wrap: 5
queue:
  <<: *defaults
  wrap: 9
both:
  <<: [{ring: 20}, *defaults]
"""

NUMBERED = """\
choices:
  1: first
  "2": second
"""

TWICE = """\
a:
  x: 1
a:
  y: 2
b: 3
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(ENV, str(folder))
    return folder


def test_a_flow_and_a_config_read_the_same_text_from_one_parse(cache: Path, monkeypatch) -> None:
    flow_data, lines = load_yaml(MERGED, "x.yaml")
    config_data, origins = loads_yaml(MERGED, "x.yaml")
    assert len(list(cache.rglob("*.json"))) == 1
    monkeypatch.setattr(yaml_source, "compose_and_construct", None)  # a parse would now fail
    assert load_yaml(MERGED, "x.yaml") == (flow_data, lines)
    assert loads_yaml(MERGED, "x.yaml")[1].origins == origins.origins
    assert flow_data == config_data


def test_merged_values_have_the_lines_they_come_from_and_own_keys_their_own() -> None:
    data, lines = load_yaml(MERGED, "x.yaml")
    _, origins = loads_yaml(MERGED, "x.yaml")
    assert data["queue"] == {"ring": 15, "wrap": 9} and data["both"] == {"ring": 20, "wrap": 5}
    for path, line in [(("queue", "wrap"), 6), (("queue", "ring"), 2), (("both", "ring"), 8),
                       (("both", "wrap"), 3)]:
        assert lines.line(path) == line and origins.locate(path) == Origin("x.yaml", line), path
    assert not any("<<" in path for path in lines.lines) and lines.duplicates == []


def test_an_integer_key_is_the_data_s_integer_and_found_by_its_digits() -> None:
    data, lines = load_yaml(NUMBERED, "x.yaml")
    _, origins = loads_yaml(NUMBERED, "x.yaml")
    assert data == {"choices": {1: "first", "2": "second"}}
    assert origins.locate(("choices", 1)) == Origin("x.yaml", 2)
    assert origins.locate(("choices", "2")) == Origin("x.yaml", 3)
    assert lines.line(("choices", "1")) == lines.line(("choices", 1)) == 2
    assert lines.line(("choices", 2)) == 3


def test_a_key_given_twice_is_listed_and_has_the_lines_of_its_last_value() -> None:
    data, lines = load_yaml(TWICE, "x.yaml")
    _, origins = loads_yaml(TWICE, "x.yaml")
    assert data == {"a": {"y": 2}, "b": 3}
    assert lines.duplicates == [(("a",), 3)]
    assert lines.line(("a", "y")) == 4 and ("a", "x") not in lines.lines
    assert origins.locate(("a", "y")) == Origin("x.yaml", 4)
    assert origins.locate(("a", "x")) == Origin("x.yaml", 3)  # its nearest known ancestor


def walk_seconds(text: str) -> float:
    """The least time of three walks of ``text``'s node tree (the lines and the repeats)."""
    import time

    node = yaml.compose(text, Loader=yaml.SafeLoader)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        yaml_source._lines(node)
        best = min(best, time.perf_counter() - start)
    return best


def test_keys_given_twice_cost_no_more_than_as_many_keys_given_once() -> None:
    count = 3000
    twice = "".join(f"k{i}: {{a: 1}}\n" for i in range(count)) * 2
    once = "".join(f"k{i}: {{a: 1}}\n" for i in range(2 * count))
    lines, duplicates = yaml_source._lines(yaml.compose(twice, Loader=yaml.SafeLoader))
    assert len(duplicates) == count and lines[("k0",)] == count + 1 and lines[("k0", "a")] == count + 1
    assert walk_seconds(twice) < 4 * walk_seconds(once) + 0.01
