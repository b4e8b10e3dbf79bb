"""Agent seat registrations: REGISTER with digest auth against an explicit password mapping.

The agent id is the SIP user. Nothing is built in: a seat without an entry in the mapping
cannot register. A binding remembers the Contact URI and the address the REGISTER came
from (where requests to the seat are sent, which also works behind NAT).

Guessing is slowed the way fail2ban does it for Asterisk: an unknown user and a wrong
password get the same 403, a source (and an account) that keeps failing is throttled and
then blocked for a while (logged, and counted for ``/metrics``). Nonces are bound to the
client's address and port, need ``qop`` and a growing nonce count: a captured REGISTER
replayed from elsewhere, or again, fails.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from callcenter.sip.digest import DigestServer
from callcenter.sip.ids import new_tag
from callcenter.sip.lockout import Lockout, LockoutPolicy
from callcenter.sip.message import NameAddr, SIPRequest, SIPResponse, SipURI, make_response
from callcenter.sip.transactions import Addr

log = logging.getLogger(__name__)

DEFAULT_EXPIRES = 3600
MIN_EXPIRES = 60
MAX_EXPIRES = 7200


@dataclass(frozen=True)
class Binding:
    """Where one agent's seat can be reached until ``expires_at``."""

    agent_id: str
    contact: str  # the Contact URI, used as the Request-URI
    addr: Addr  # the address the REGISTER came from
    expires_at: float


class Registrar:
    """Digest-authenticated registrations for the agents in ``passwords``."""

    def __init__(self, passwords: Mapping[str, str], *, realm: str = "callcenter",
                 clock: Callable[[], float] = time.time, secret: bytes | None = None,
                 lockout: LockoutPolicy | None = None) -> None:
        if any(not password for password in passwords.values()):
            raise ValueError("every agent needs a non-empty SIP password")
        self._passwords = dict(passwords)
        self.clock = clock
        policy = lockout or LockoutPolicy()
        self.sources = Lockout("source", policy)
        self.accounts = Lockout("account", LockoutPolicy(
            policy.window, policy.throttle_after * 3, policy.throttle_seconds,
            policy.block_after * 3, policy.block_seconds))
        self.digest = DigestServer(realm, secret or secrets.token_bytes(32), clock,
                                   lookup=self._passwords.get)
        self._bindings: dict[str, Binding] = {}
        self.on_removed: Callable[[str, str], None] | None = None

    def _drop(self, agent_id: str, reason: str) -> None:
        """Forget the agent's binding and report it (``reason``: "expired" or "unregistered")."""
        if self._bindings.pop(agent_id, None) is None:
            return
        log.info("agent %s %s", agent_id, reason)
        if self.on_removed is not None:
            self.on_removed(agent_id, reason)

    def bindings(self) -> list[Binding]:
        """Every current binding (a copy)."""
        return list(self._bindings.values())

    def drop_if(self, binding: Binding, reason: str) -> bool:
        """Drop ``binding`` if it is still the agent's current one (the seat may have
        registered again meanwhile); reported through ``on_removed``."""
        if self._bindings.get(binding.agent_id) is not binding:
            return False
        self._drop(binding.agent_id, reason)
        return True

    def expire(self) -> None:
        """Drop every binding whose time is up (reported through ``on_removed``)."""
        now = self.clock()
        for agent_id in [a for a, b in self._bindings.items() if b.expires_at <= now]:
            self._drop(agent_id, "expired")

    def contact_for(self, agent_id: str) -> Binding | None:
        """The agent's live binding, or None when not (or no longer) registered."""
        binding = self._bindings.get(agent_id)
        if binding is not None and binding.expires_at <= self.clock():
            self._drop(agent_id, "expired")
            return None
        return binding

    def handle(self, request: SIPRequest, addr: Addr) -> SIPResponse:
        """The response to a REGISTER received from ``addr``."""
        try:
            aor_user = SipURI.parse(request.to_addr.uri).user
        except ValueError:
            return make_response(request, 400, "Bad To", to_tag=new_tag())
        agent_id, refusal = self.authenticate(request, addr)
        if refusal is not None:
            return refusal
        if aor_user != agent_id:
            log.warning("agent %r tried to register %r", agent_id, aor_user)
            return make_response(request, 403, "Forbidden - AOR mismatch", to_tag=new_tag())
        return self._update(request, agent_id, addr)

    def authenticate(self, request: SIPRequest, addr: Addr) -> tuple[str, SIPResponse | None]:
        """(agent id, None) when ``request`` from ``addr`` carries a seat's valid credentials;
        else ("", the answer): a challenge, or 403 alike for an unknown user, a wrong
        password, and a throttled or blocked source or account."""
        now = self.clock()
        source = addr[0]
        authorization = (request.headers.get("authorization")
                         or request.headers.get("proxy-authorization"))
        if self.sources.refuses(source, now, counting=bool(authorization)):
            return "", self._forbidden(request)
        if not authorization:
            return "", self._challenge(request, addr)
        result = self.digest.verify(authorization, request.method, bound=_bound(addr))
        if result.stale or result.reason in ("bad nonce", "not digest", "too many nonces"):
            return "", self._challenge(request, addr, stale=result.stale)
        account = result.username or ""
        binding = self._bindings.get(account)
        trusted = binding is not None and binding.addr[0] == source  # the seat's own host
        if not trusted and self.accounts.refuses(account, now):
            return "", self._forbidden(request)
        if not result.ok:
            log.warning("authentication failed for %r from %s:%s: %s", account[:40], *addr,
                        result.reason)
            self.sources.failed(source, now)
            if account in self._passwords:
                self.accounts.failed(account, now)
            return "", self._forbidden(request)
        self.sources.succeeded(source)
        self.accounts.succeeded(account)
        return account, None

    def challenge(self, request: SIPRequest, addr: Addr, *, stale: bool = False) -> SIPResponse:
        """A 401 with a fresh digest challenge for ``request``, bound to ``addr``."""
        return self._challenge(request, addr, stale=stale)

    def _challenge(self, request: SIPRequest, addr: Addr, *, stale: bool = False) -> SIPResponse:
        return make_response(request, 401, to_tag=new_tag(), headers=[
            ("WWW-Authenticate", self.digest.challenge(stale=stale, bound=_bound(addr)))])

    @staticmethod
    def _forbidden(request: SIPRequest) -> SIPResponse:
        return make_response(request, 403, to_tag=new_tag())

    def _update(self, request: SIPRequest, agent_id: str, addr: Addr) -> SIPResponse:
        header_expires = _int(request.headers.get("expires"), DEFAULT_EXPIRES)
        contacts = [c.strip() for value in request.headers.get_all("contact")
                    for c in value.split(",") if c.strip()]
        now = self.clock()
        for text in contacts:
            if text == "*":
                if header_expires != 0:
                    return make_response(request, 400, "Bad Contact", to_tag=new_tag())
                self._drop(agent_id, "unregistered")
                continue
            try:
                contact = NameAddr.parse(text)
                SipURI.parse(contact.uri)
            except ValueError:
                return make_response(request, 400, "Bad Contact", to_tag=new_tag())
            expires = _int(contact.params.get("expires"), header_expires)
            if expires == 0:
                self._drop(agent_id, "unregistered")
                continue
            if expires < MIN_EXPIRES:
                return make_response(request, 423, to_tag=new_tag(),
                                     headers=[("Min-Expires", str(MIN_EXPIRES))])
            expires = min(expires, MAX_EXPIRES)
            self._bindings[agent_id] = Binding(agent_id, contact.uri, addr, now + expires)
            log.info("agent %s registered at %s (%s:%s) for %ss", agent_id, contact.uri,
                     addr[0], addr[1], expires)
        headers = []
        binding = self._bindings.get(agent_id)
        if binding is not None:
            remaining = max(0, int(binding.expires_at - now))
            headers.append(("Contact", f"<{binding.contact}>;expires={remaining}"))
        return make_response(request, 200, to_tag=new_tag(), headers=headers)


def _bound(addr: Addr) -> str:
    """What a nonce is bound to: the client's address and port."""
    return f"{addr[0]}:{addr[1]}"


def _int(value: str | None, default: int) -> int:
    try:
        return max(0, int(value.strip())) if value is not None else default
    except ValueError:
        return default
