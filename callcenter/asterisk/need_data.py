"""The one "feed me more bytes" sentinel shared by the AGI and AMI codecs (h11's NEED_DATA)."""

from __future__ import annotations


class NeedData:
    """Type of :data:`NEED_DATA`; never instantiate it again."""

    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA = NeedData()
