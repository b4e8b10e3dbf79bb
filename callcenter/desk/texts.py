"""The desk's text catalogue (``texts.yaml``): every text in Chinese and English."""

from __future__ import annotations

from importlib import resources

import yaml

LANGUAGES = ("zh", "en")


def load_texts() -> dict[str, dict[str, str]]:
    """The catalogue by language; raises ``ValueError`` naming a key that lacks a language."""
    data = yaml.safe_load(resources.files("callcenter.desk").joinpath("texts.yaml").read_text("utf-8"))
    out: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    for key, texts in data.items():
        for lang in LANGUAGES:
            if not isinstance(texts, dict) or not isinstance(texts.get(lang), str):
                raise ValueError(f"texts.yaml: {key}: missing the {lang!r} text")
            out[lang][key] = texts[lang]
    return out
