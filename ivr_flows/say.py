"""Values read out with catalogue prompts, as people say them, for every language's rule.

``digits`` reads key by key (ID and phone numbers). ``number`` and ``amount`` read counts and
money the way each language says them: 二十三万四千六百八十一元六角四分, "two hundred
thirty-four thousand six hundred eighty-one yuan sixty-four fen", "двести тридцать четыре
тысячи ...". The rules only choose catalogue keys (number words, scale words, currency units);
the catalogue holds each key's text per language, so recorded prompts can replace them. Both
the embedded engine and the Asterisk adapter read values through ``number_prompts``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from ivr_flows.commands import Number, Prompt

DIGIT_KEYS = tuple(f"digit_{d}" for d in range(10))
TENS_KEYS = tuple(f"num_{n}" for n in range(10, 100))  # "97": each language's word for it
HUNDREDS_KEYS = tuple(f"num_{h}00" for h in range(1, 10))
SCALE_KEYS = ("num_x10", "num_x100", "num_x1000", "num_x1000_few", "num_x1000_sg", "num_x10000",
              "num_x1000000", "num_x1000000_few", "num_x1000000_sg", "num_x100000000")
FORM_KEYS = ("num_1_attr", "num_1_f", "num_2_f", "num_2_counted")
CURRENCY_KEYS = ("yuan", "yuan_few", "yuan_sg", "jiao", "fen", "fen_few", "fen_sg")
NUMBER_KEYS = (DIGIT_KEYS + ("letter_x", "point") + TENS_KEYS + HUNDREDS_KEYS + SCALE_KEYS
               + FORM_KEYS + CURRENCY_KEYS)
"""Every key a reading can use; each needs a text in every enabled language."""

CJK_LIMIT = 10**12  # 9999亿
WESTERN_LIMIT = 10**9


def number_prompts(item: Number) -> list[Prompt]:
    """The prompts that read ``item`` out in its language."""
    keys: list[str] | None = None
    rule = RULES.get(item.language)
    if item.style != "digits" and rule is not None:
        keys = _natural(item, rule)
    if keys is None:
        keys = _spelled(item)
    return [Prompt(key, item.language) for key in keys]


def _spelled(item: Number) -> list[str]:
    """Key by key: digits, X, the decimal point (and yuan after an amount)."""
    text = item.value.strip()
    if item.style == "amount":
        with contextlib.suppress(ValueError):
            text = f"{float(text):.2f}"
    keys: list[str] = []
    for char in text:
        if char.isdigit():
            keys.append(f"digit_{char}")
        elif char in "xX*":
            keys.append("letter_x")
        elif char == "." and item.style != "digits":
            keys.append("point")
    if item.style == "amount":
        keys.append("yuan")
    return keys


def _natural(item: Number, rule: Rule) -> list[str] | None:
    """The language's reading, or None when the value is not a plain non-negative number."""
    try:
        value = Decimal(item.value.strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0:
        return None
    if item.style == "amount":
        cents = int((value * 100).quantize(Decimal(1)))
        whole, cents = divmod(cents, 100)
        if whole >= rule.limit:
            return None
        return rule.amount(whole, cents)
    whole = int(value)
    if whole >= rule.limit:
        return None
    keys = rule.cardinal(whole)
    fraction = str(value).partition(".")[2].rstrip("0") if value != whole else ""
    if fraction:
        keys += ["point", *(f"digit_{d}" for d in fraction)]
    return keys


# ---- Chinese, Japanese, Korean: digits and units, grouped by 万 and 亿 -----------------------


def _cjk_group(group: int, language: str, leading: bool) -> list[str]:
    """One group below 万 (1..9999): 四千六百八十一, 四千零八十一 (zh), 천 (ko)."""
    keys: list[str] = []
    zero = False
    for place, unit in ((1000, "num_x1000"), (100, "num_x100"), (10, "num_x10"), (1, None)):
        digit = group // place % 10
        if digit == 0:
            zero = zero or bool(keys)
            continue
        if zero and language == "zh":
            keys.append("digit_0")  # 零: one for any run of zeros inside the number
        zero = False
        if language == "ja" and place == 100:
            keys.append(f"num_{digit}00")  # さんびゃく, ろっぴゃく, はっぴゃく
            continue
        omit_one = digit == 1 and unit is not None and (
            language in ("ja", "ko") or (place == 10 and leading and not keys))
        if not omit_one:
            two = language == "zh" and digit == 2 and place == 1000
            keys.append("num_2_counted" if two else f"digit_{digit}")
        if unit:
            keys.append(unit)
    return keys


def _cjk_cardinal(n: int, language: str) -> list[str]:
    if n == 0:
        return ["digit_0"]
    keys: list[str] = []
    gap = False
    for scale, unit in ((10**8, "num_x100000000"), (10**4, "num_x10000"), (1, None)):
        group = n // scale % 10**4
        if group == 0:
            gap = gap or bool(keys)
            continue
        if language == "zh" and keys and (gap or group < 1000):
            keys.append("digit_0")  # 一万零五, 一亿零一千
        gap = False
        if group == 1 and unit == "num_x10000" and language == "ko":
            keys.append(unit)  # 만, not 일만
            continue
        if group == 2 and unit and language == "zh":
            keys += ["num_2_counted", unit]  # 两万, 两亿
            continue
        keys += _cjk_group(group, language, leading=not keys)
        if unit:
            keys.append(unit)
    return keys


def _zh_amount(whole: int, cents: int) -> list[str]:
    """二十三万四千六百八十一元六角四分; 十二元零五分; 六角四分; 零元."""
    jiao, fen = divmod(cents, 10)
    keys = _cjk_cardinal(whole, "zh") + ["yuan"] if whole or not cents else []
    if jiao:
        keys += [f"digit_{jiao}", "jiao"]
    if fen:
        if whole and not jiao:
            keys.append("digit_0")
        keys += [f"digit_{fen}", "fen"]
    return keys


# ---- English, French, German, Russian: groups of three digits -------------------------------


def _ru_form(n: int) -> str:
    """Russian plural form after ``n``: ``sg`` (1, 21), ``few`` (2-4, 22-24) or ``many``."""
    if n % 10 == 1 and n % 100 != 11:
        return "sg"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "few"
    return "many"


def _western_group(group: int, language: str, *, attributive: bool = False,
                   feminine: bool = False) -> list[str]:
    """1..999: the hundreds word, then the word for the rest (``num_97``, ``digit_5``)."""
    hundreds, rest = divmod(group, 100)
    keys = [f"num_{hundreds}00"] if hundreds else []
    if rest == 0:
        return keys
    last = rest % 10
    if feminine and last in (1, 2) and rest // 10 != 1:  # ru: одна/две тысячи, de: eine Million
        if rest >= 20:
            keys.append(f"num_{rest - last}")
        keys.append(f"num_{last}_f")
    elif rest == 1 and attributive:
        keys.append("num_1_attr")  # de "ein", not "eins"
    else:
        keys.append(f"num_{rest}" if rest >= 10 else f"digit_{rest}")
    return keys


def _western_cardinal(n: int, language: str, *, attributive: bool = False) -> list[str]:
    if n == 0:
        return ["digit_0"]
    millions, rest = divmod(n, 10**6)
    thousands, units = divmod(rest, 1000)
    keys: list[str] = []
    if millions:
        keys += _western_group(millions, language, attributive=True,
                               feminine=language == "de" and millions % 100 == 1)
        form = _ru_form(millions) if language == "ru" else ("sg" if millions == 1 else "many")
        keys.append({"sg": "num_x1000000_sg", "few": "num_x1000000_few"}.get(form, "num_x1000000"))
    if thousands:
        if not (thousands == 1 and language in ("fr", "de")):  # mille, tausend
            keys += _western_group(thousands, language, attributive=True,
                                   feminine=language == "ru")
        form = _ru_form(thousands) if language == "ru" else "many"
        keys.append({"sg": "num_x1000_sg", "few": "num_x1000_few"}.get(form, "num_x1000"))
    if units:
        keys += _western_group(units, language, attributive=attributive)
    return keys


def _with_unit(n: int, language: str, unit: str) -> list[str]:
    """``n`` then ``yuan``/``fen`` in the form the number asks for (Russian: юань/юаня/юаней)."""
    form = _ru_form(n) if language == "ru" else ("sg" if n == 1 else "many")
    return _western_cardinal(n, language, attributive=True) + [
        {"sg": f"{unit}_sg", "few": f"{unit}_few"}.get(form, unit)]


# ---- the rules by language -------------------------------------------------------------------


class Rule:
    """How one language reads counts (``cardinal``) and yuan amounts (``amount``)."""

    def __init__(self, cardinal: Callable[[int], list[str]],
                 amount: Callable[[int, int], list[str]], limit: int) -> None:
        self.cardinal, self.amount, self.limit = cardinal, amount, limit


def _cjk(language: str) -> Rule:
    def amount(whole: int, cents: int) -> list[str]:
        keys = _cjk_cardinal(whole, language) + ["yuan"] if whole or not cents else []
        return keys + (_cjk_cardinal(cents, language) + ["fen"] if cents else [])

    return Rule(lambda n: _cjk_cardinal(n, language), amount, CJK_LIMIT)


def _western(language: str) -> Rule:
    def amount(whole: int, cents: int) -> list[str]:
        keys = _with_unit(whole, language, "yuan") if whole or not cents else []
        return keys + (_with_unit(cents, language, "fen") if cents else [])

    return Rule(lambda n: _western_cardinal(n, language), amount, WESTERN_LIMIT)


RULES: dict[str, Rule] = {
    "zh": Rule(lambda n: _cjk_cardinal(n, "zh"), _zh_amount, CJK_LIMIT),
    "ja": _cjk("ja"),
    "ko": _cjk("ko"),
    **{language: _western(language) for language in ("en", "fr", "de", "ru")},
}
