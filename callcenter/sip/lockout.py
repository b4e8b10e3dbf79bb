"""fail2ban for digest authentication (pure, clock injected): failures are counted per key
(a source address, an account) in a sliding window; past ``throttle_after`` a key gets one
attempt every ``throttle_seconds``, past ``block_after`` it is blocked for ``block_seconds``."""

from __future__ import annotations

import logging
from collections import OrderedDict, deque
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LockoutPolicy:
    window: float = 300.0  # seconds over which failures count
    throttle_after: int = 3  # failures, then one attempt per ``throttle_seconds``
    throttle_seconds: float = 2.0
    block_after: int = 10  # failures, then everything is refused for ``block_seconds``
    block_seconds: float = 600.0


class _Entry:
    __slots__ = ("failures", "last_attempt", "blocked_until")

    def __init__(self) -> None:
        self.failures: deque[float] = deque()
        self.last_attempt = float("-inf")
        self.blocked_until = float("-inf")


class Lockout:
    """Failure counts, throttles and blocks for one kind of key ("source", "account")."""

    def __init__(self, kind: str, policy: LockoutPolicy, *, max_keys: int = 10_000) -> None:
        self.kind = kind
        self.policy = policy
        self.max_keys = max_keys
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self.failures = 0  # counted since start
        self.blocks = 0
        self.refused = 0  # attempts answered without checking (throttled or blocked)

    def refuses(self, key: str, now: float, *, counting: bool = True) -> str | None:
        """Why an attempt by ``key`` at ``now`` is refused unchecked ("blocked", "throttled"),
        or None when it may be checked. ``counting``: the attempt carries credentials and
        counts for the throttle (a bare request for a challenge is refused only if blocked)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if now < entry.blocked_until:
            self.refused += 1
            return "blocked"
        if entry.blocked_until > float("-inf"):
            log.warning("%s %s unblocked after %.0fs", self.kind, key, self.policy.block_seconds)
            entry.blocked_until = float("-inf")
            entry.failures.clear()
        if not counting:
            return None
        self._forget_old(entry, now)
        if (len(entry.failures) >= self.policy.throttle_after
                and now - entry.last_attempt < self.policy.throttle_seconds):
            self.refused += 1
            return "throttled"
        entry.last_attempt = now
        return None

    def failed(self, key: str, now: float) -> None:
        """A failed attempt by ``key``: may start a block (logged)."""
        self.failures += 1
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry()
            if len(self._entries) > self.max_keys:
                self._entries.popitem(last=False)
        self._entries.move_to_end(key)
        self._forget_old(entry, now)
        entry.failures.append(now)
        if len(entry.failures) >= self.policy.block_after and now >= entry.blocked_until:
            entry.blocked_until = now + self.policy.block_seconds
            self.blocks += 1
            log.warning("%s %s blocked for %.0fs after %d failed authentications", self.kind,
                        key, self.policy.block_seconds, len(entry.failures))

    def succeeded(self, key: str) -> None:
        self._entries.pop(key, None)

    def blocked(self, now: float) -> int:
        """How many keys are blocked at ``now``."""
        return sum(1 for e in self._entries.values() if now < e.blocked_until)

    def _forget_old(self, entry: _Entry, now: float) -> None:
        while entry.failures and entry.failures[0] <= now - self.policy.window:
            entry.failures.popleft()
