"""Spelling values with catalogue prompts, for adapters without a native ``SAY NUMBER``.

Values are read key by key (``1 2 3 point 4 5 yuan``), which every language's digit prompts
can do; a natural reading (``一万二千``) is left to adapters that have one.
"""

from __future__ import annotations

from ivr_flows.commands import Number, Prompt

NUMBER_KEYS = tuple(f"digit_{d}" for d in range(10)) + ("letter_x", "point", "yuan")


def number_prompts(item: Number) -> list[Prompt]:
    """The prompts that read ``item`` out in its language."""
    text = item.value.strip()
    if item.style == "amount":
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
    return [Prompt(key, item.language) for key in keys]
