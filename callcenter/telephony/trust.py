"""Whose caller identity the engine believes: RFC 3325's trust domain.

P-Asserted-Identity and From are whatever the sending peer wrote. The engine takes a caller's
number from them (to call it back through the outbound trunk) only when the INVITE came, by
its transport's source address (never Via or Contact), from a trusted peer: the gateways the
config names (``callbacks.gateway``, ``outbound.gateway``) and ``caller_identity.trusted_peers``
(addresses or networks). Kamailio's ``allow_trusted`` and Asterisk's per-endpoint
``trust_id_inbound`` draw the same line.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from callcenter.config.peers import Network, peer_network

if TYPE_CHECKING:
    from callcenter.config import HotlineConfig

log = logging.getLogger(__name__)

Resolve = Callable[[str], Iterable[str]]


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(host.strip("[]").partition("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # a dual-stack socket's view of an IPv4 peer
    return address


@dataclass(frozen=True)
class TrustDomain:
    """The networks whose peers' caller identity is believed."""

    networks: tuple[Network, ...] = ()

    @property
    def empty(self) -> bool:
        """True if the config names no peer nor gateway: no one's identity is vouched for."""
        return not self.networks

    def trusts(self, source: tuple[str, int] | None) -> bool:
        """True if ``source`` (a transport's (host, port)) is inside the trust domain."""
        address = _address(source[0]) if source is not None else None
        return address is not None and any(address in network for network in self.networks)


def _resolve(host: str) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None, type=socket.SOCK_DGRAM)})


def gateway_hosts(config: HotlineConfig) -> list[str]:
    """The hosts of the carrier gateways the config dials through."""
    gateways = [config.callback_gateway()]
    if config.outbound is not None and config.outbound.enabled:
        gateways.append(config.outbound.address())
    return [gateway[0] for gateway in gateways if gateway is not None]


def trust_domain(config: HotlineConfig, resolve: Resolve = _resolve) -> TrustDomain:
    """The config's trust domain: its gateways (a host name resolved once, now) and its
    ``caller_identity.trusted_peers``."""
    networks = [peer_network(entry) for entry in config.caller_identity.trusted_peers]
    for host in gateway_hosts(config):
        address = _address(host)
        if address is not None:
            networks.append(ipaddress.ip_network(address))
            continue
        try:
            networks += [ipaddress.ip_network(_address(found) or found) for found in resolve(host)]
        except (OSError, ValueError) as exc:
            log.warning("gateway %s does not resolve (%s): calls from it are not trusted", host, exc)
    return TrustDomain(tuple(dict.fromkeys(networks)))
