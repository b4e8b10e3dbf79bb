"""Peers named by address in the config (``caller_identity.trusted_peers``, ``asterisk.hosts``):
an address or a network, read by ``ipaddress`` alone (no name is resolved here)."""

from __future__ import annotations

import ipaddress

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def peer_network(text: str) -> Network:
    """A trusted peer entry (``192.0.2.7``, ``10.1.2.0/24``, ``2001:db8::/64``) as a network.
    ``ValueError`` for anything else: a host name, host bits under the mask, every address."""
    try:
        network = ipaddress.ip_network(text.strip(), strict=True)
    except ValueError as exc:
        raise ValueError(f"expected an IP address or network (e.g. 10.1.2.3 or 10.1.2.0/24): {exc}") \
            from None
    if network.prefixlen == 0:
        raise ValueError(f"{text!r} trusts every address: list the peers' own addresses")
    return network


def peer_entry(text: str) -> str:
    """``text`` if it is a peer entry ``peer_network`` reads (the config keeps the text)."""
    peer_network(text)
    return text
