"""The prompt catalogue finds its lines only when a message names one, and then finds them right."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ivr_flows.catalogue import load_catalogue
from ivr_flows.yaml_limits import YamlLimitError

TEXT = """\
voices: {zh: cmn, en: en}
prompts:
  welcome:
    zh: 您好
    en: Hello
  goodbye:
    zh: 再见

    en: ""
"""


def test_lines_are_composed_on_first_use_and_name_the_key(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text(TEXT, encoding="utf-8")
    catalogue = load_catalogue(path)
    assert "source" not in vars(catalogue)  # loading parsed the data only
    assert catalogue.text("welcome", "en") == "Hello"
    assert catalogue.problem("goodbye", ["zh", "en"]) == (
        "prompt 'goodbye' has no text for enabled language 'en' (catalogue.yaml:6)")
    assert catalogue.line("goodbye", "en") == 9
    assert catalogue.missing(("zh", "en", "fr")) == [
        "catalogue.yaml:1: no voice for language 'fr'",
        "catalogue.yaml:3: prompt 'welcome' has no text for language 'fr'",
        "catalogue.yaml:6: prompt 'goodbye' has no text for language 'en'",
        "catalogue.yaml:6: prompt 'goodbye' has no text for language 'fr'",
    ]


def test_a_broken_catalogue_is_still_refused_when_loaded(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text("prompts:\n  welcome: {zh: [\n", encoding="utf-8")
    with pytest.raises(yaml.YAMLError):
        load_catalogue(path)
    path.write_text("prompts:\n  x: " + "[" * 100 + "]" * 100 + "\n", encoding="utf-8")
    with pytest.raises(YamlLimitError, match=r"catalogue.yaml:2: nested deeper"):
        load_catalogue(path)
