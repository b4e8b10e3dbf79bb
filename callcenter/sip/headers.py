"""SIP header fields: names (compact forms, canonical spelling) and an ordered multi-map."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

COMPACT_FORMS = {
    "i": "call-id",
    "f": "from",
    "t": "to",
    "v": "via",
    "m": "contact",
    "l": "content-length",
    "c": "content-type",
    "k": "supported",
    "s": "subject",
    "e": "content-encoding",
    "o": "event",
    "r": "refer-to",
    "b": "referred-by",
    "u": "allow-events",
    "x": "session-expires",
}

_CANONICAL = {
    name.lower(): name
    for name in (
        "Accept", "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow", "Allow-Events",
        "Authentication-Info", "Authorization", "Call-ID", "Call-Info", "Contact",
        "Content-Disposition", "Content-Encoding", "Content-Language", "Content-Length",
        "Content-Type", "CSeq", "Date", "Error-Info", "Event", "Expires", "From", "In-Reply-To",
        "Max-Forwards", "Min-Expires", "MIME-Version", "Organization", "Priority",
        "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Require", "Reason", "Record-Route",
        "Refer-To", "Referred-By", "Reply-To", "Require", "Retry-After", "Route", "RSeq", "RAck",
        "Server", "Session-Expires", "Subject", "Subscription-State", "Supported", "Timestamp",
        "To", "Unsupported", "User-Agent", "Via", "Warning", "WWW-Authenticate",
    )
}

# Headers whose comma-separated values are separate entries (RFC 3261 section 7.3.1).
# Headers whose comma-separated values are separate entries (RFC 3261 section 7.3.1).
_LIST_HEADERS = frozenset({"via", "route", "record-route", "contact"})
TOKEN_RE = re.compile(r"^[A-Za-z0-9\-.!%*_+`'~]+$")


def canonical_name(name: str) -> str:
    """The canonical spelling of a header name, expanding compact forms."""
    lower = name.strip().lower()
    lower = COMPACT_FORMS.get(lower, lower)
    return _CANONICAL.get(lower, name.strip())


def _key(name: str) -> str:
    key = _KEY_CACHE.get(name)
    if key is None:
        lower = name.strip().lower()
        key = COMPACT_FORMS.get(lower, lower)
        if len(_KEY_CACHE) < 2048:  # bounded: header names come from the network
            _KEY_CACHE[name] = key
    return key


def header_names(name: str) -> tuple[str, str]:
    """(lookup key, canonical spelling) of a header name, memoised for common names."""
    names = HEADER_NAME_CACHE.get(name)
    if names is None:
        names = (_key(name), canonical_name(name))
        if len(HEADER_NAME_CACHE) < 2048 and TOKEN_RE.match(name.strip()):
            HEADER_NAME_CACHE[name] = names
    return names


_KEY_CACHE: dict[str, str] = {}
HEADER_NAME_CACHE: dict[str, tuple[str, str]] = {}


def split_list(value: str) -> list[str]:
    """Split a comma-separated header value, respecting quotes and angle brackets."""
    if "," not in value:
        return [value.strip()]
    parts: list[str] = []
    depth = 0
    quoted = False
    escaped = False
    start = 0
    for i, ch in enumerate(value):
        if escaped:
            escaped = False
        elif quoted:
            if ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == "<":
            depth += 1
        elif ch == ">":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0:
            parts.append(value[start:i].strip())
            start = i + 1
    parts.append(value[start:].strip())
    return [p for p in parts if p]


class Headers:
    """Ordered, case-insensitive multi-map of header fields (names stored canonically)."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: list[tuple[str, str, str]] = []
        for name, value in items:
            self.add(name, value)

    def add(self, name: str, value: str) -> None:
        """Append a header field."""
        self._items.append((*header_names(name), str(value)))

    def prepend(self, name: str, value: str) -> None:
        """Insert a header field before all others (used for Via)."""
        self._items.insert(0, (*header_names(name), str(value)))

    def set(self, name: str, value: str) -> None:
        """Replace all fields of ``name`` by one, keeping the first one's position."""
        key = _key(name)
        for i, item in enumerate(self._items):
            if item[0] == key:
                self._items[i] = (key, canonical_name(name), str(value))
                self._items = [it for j, it in enumerate(self._items) if j <= i or it[0] != key]
                return
        self.add(name, value)

    def remove(self, name: str) -> None:
        """Remove all fields of ``name``."""
        key = _key(name)
        self._items = [it for it in self._items if it[0] != key]

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of ``name`` (for list headers, the first list element)."""
        key = _key(name)
        for k, _, value in self._items:
            if k == key:
                return split_list(value)[0] if key in _LIST_HEADERS else value
        return default

    def get_all(self, name: str) -> list[str]:
        """All values of ``name`` in order; list headers are split at commas."""
        key = _key(name)
        values: list[str] = []
        for k, _, value in self._items:
            if k == key:
                if key in _LIST_HEADERS:
                    values.extend(split_list(value))
                else:
                    values.append(value)
        return values

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(k == _key(name) for k, _, _ in self._items)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return ((name, value) for _, name, value in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def copy(self) -> Headers:
        new = Headers()
        new._items = list(self._items)
        return new

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Headers) and list(self) == list(other)

    def __repr__(self) -> str:
        return f"Headers({list(self)!r})"
