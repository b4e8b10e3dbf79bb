"""The hierarchical request taxonomy (诉求分类): kinds, subject subcategories and codes.

Shipped as data (``cases/data/taxonomy.yaml``), replaceable. Reading and validating a file
(errors naming file, line and field) is ``callcenter.casework.taxonomy_file``'s: the core reads
nothing. Also the emergency redirect hints (110/119/120/122)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

DEFAULT_PATH = Path(__file__).with_name("data") / "taxonomy.yaml"
EMERGENCY_NUMBERS = ("110", "119", "120", "122")


class Kind(StrEnum):
    CONSULTATION = "consultation"  # 咨询
    HELP = "help"  # 求助
    COMPLAINT = "complaint"  # 投诉
    REPORT = "report"  # 举报
    SUGGESTION = "suggestion"  # 建议
    PRAISE = "praise"  # 表扬


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    name: str
    kind: Kind
    parent: str | None  # parent code; None for a top-level kind

    @property
    def top(self) -> str:
        """The code of the top-level category (its first two digits)."""
        return self.code[:2]


@dataclass(frozen=True, slots=True)
class EmergencyHint:
    number: str
    name: str
    words: tuple[str, ...]


class Taxonomy:
    """Categories by code, with their path ("投诉/城市管理/道路施工") and emergency hints."""

    def __init__(self, categories: Mapping[str, Category], emergency: tuple[EmergencyHint, ...] = ()):
        self.categories = dict(categories)
        self.emergency = emergency

    def __contains__(self, code: object) -> bool:
        return code in self.categories

    def get(self, code: str) -> Category:
        """The category ``code``; raises ``KeyError`` naming it when unknown."""
        try:
            return self.categories[code]
        except KeyError:
            raise KeyError(f"category: unknown code {code!r}") from None

    def path(self, code: str) -> str:
        names = []
        current: str | None = code
        while current is not None:
            category = self.get(current)
            names.append(category.name)
            current = category.parent
        return "/".join(reversed(names))

    def emergency_hint(self, text: str) -> str | None:
        """The redirect number whose words appear in ``text`` (first listed wins), or None."""
        for hint in self.emergency:
            if any(word in text for word in hint.words):
                return hint.number
        return None
