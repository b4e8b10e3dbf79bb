"""Counts and money read as people say them, by each language's rule (the catalogue's words)."""

from __future__ import annotations

import pytest

from ivr_flows.catalogue import load_catalogue
from ivr_flows.commands import Number
from ivr_flows.say import NUMBER_KEYS, number_prompts

CATALOGUE = load_catalogue()
WORDS = {  # what the numeral texts stand for, to make the expectations readable
    "zh": dict(zip("0123456789", "零一二三四五六七八九", strict=True)),
    "ja": dict(zip("0123456789", ["ゼロ", "いち", "に", "さん", "よん", "ご", "ろく", "なな",
                                  "はち", "きゅう"], strict=True)),
    "ko": dict(zip("0123456789", "영일이삼사오육칠팔구", strict=True)),
}


def heard(value: str, style: str, language: str) -> str:
    texts = [CATALOGUE.texts[p.key][language] for p in number_prompts(Number(value, style, language))]
    words = WORDS.get(language, {})
    joiner = "" if language in ("zh", "ja", "ko") else " "
    return joiner.join(words.get(text, text) for text in texts)


@pytest.mark.parametrize("value, style, expected", [
    ("234681.64", "amount", "二十三万四千六百八十一元六角四分"),
    ("12.05", "amount", "十二元零五分"),
    ("0.64", "amount", "六角四分"),
    ("100", "amount", "一百元"),
    ("0", "amount", "零元"),
    ("100015", "number", "十万零一十五"),
    ("100001234", "number", "一亿零一千二百三十四"),
    ("20000", "number", "两万"),
    ("2000", "number", "两千"),
    ("4081", "number", "四千零八十一"),
    ("15", "number", "十五"),
    ("0", "number", "零"),
])
def test_mandarin(value, style, expected):
    assert heard(value, style, "zh") == expected


@pytest.mark.parametrize("value, style, expected", [
    ("234681.64", "amount", "200 34 thousand 600 81 yuan 64 fen"),  # two hundred thirty-four ...
    ("1", "amount", "one yuan"),
    ("0.05", "amount", "5 fen"),
    ("1000000", "number", "one million"),
    ("101000", "number", "100 one thousand"),
    ("3", "number", "3"),
])
def test_english(value, style, expected):
    assert heard(value, style, "en") == expected


@pytest.mark.parametrize("value, style, expected", [
    ("234681.64", "amount", "にじゅうさんまんよんせんろっぴゃくはちじゅういちげんろくじゅうよんフェン"),
    ("300", "number", "さんびゃく"),
    ("1000", "number", "せん"),
    ("10000", "number", "いちまん"),
])
def test_japanese(value, style, expected):
    assert heard(value, style, "ja") == expected


@pytest.mark.parametrize("value, style, expected", [
    ("234681.64", "amount", "이십삼만사천육백팔십일위안육십사펀"),
    ("10000", "number", "만"),
    ("1100", "number", "천백"),
])
def test_korean(value, style, expected):
    assert heard(value, style, "ko") == expected


@pytest.mark.parametrize("value, style, expected", [
    ("234681.64", "amount", "200 34 mille 600 81 yuans 64 fens"),
    ("1000", "number", "mille"),  # not "un mille"
    ("1", "amount", "un yuan"),
    ("1000000", "number", "un million"),
])
def test_french(value, style, expected):
    assert heard(value, style, "fr") == expected


@pytest.mark.parametrize("value, style, expected", [
    ("234681.64", "amount", "200 34 tausend 600 81 Yuan 64 Fen"),
    ("1", "amount", "ein Yuan"),  # not "eins Yuan"
    ("1000000", "number", "eine Million"),
    ("2000000", "number", "2 Millionen"),
])
def test_german(value, style, expected):
    assert heard(value, style, "de") == expected


@pytest.mark.parametrize("value, style, expected", [
    ("234681.64", "amount", "200 34 тысячи 600 81 юань 64 фэня"),
    ("1000", "number", "одна тысяча"),
    ("2000", "number", "две тысячи"),
    ("21000", "number", "20 одна тысяча"),
    ("11000", "number", "11 тысяч"),
    ("5", "amount", "5 юаней"),
    ("3000000", "number", "3 миллиона"),
])
def test_russian(value, style, expected):
    assert heard(value, style, "ru") == expected


def test_digits_style_and_values_the_rules_cannot_read_are_spelled_out():
    assert heard("420111", "digits", "zh") == "四二零一一一"
    assert heard("12X", "digits", "en") == "1 2 X"
    assert heard("-5", "number", "en") == "5"  # not a count: spelled (no minus prompt)
    assert heard("12345678901234", "number", "zh") == "一二三四五六七八九零一二三四"  # > 9999亿
    assert heard("2.5", "number", "en") == "2 point 5"


def test_every_key_a_reading_uses_is_in_the_catalogue_in_every_language():
    languages = ("zh", "en", "ja", "ko", "fr", "de", "ru")
    for key in NUMBER_KEYS:
        assert CATALOGUE.problem(key, languages) is None, key
